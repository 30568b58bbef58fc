use criterion::{black_box, criterion_group, criterion_main, Criterion};

fn bench(c: &mut Criterion) {
    let title = "Ünïcödé Títlé wîth — lots of punctuation!!! and 2024 numbers".repeat(8);
    c.bench_function("slugify 500 chars", |b| b.iter(|| slugkit::slugify(black_box(&title))));
}

criterion_group!(benches, bench);
criterion_main!(benches);
