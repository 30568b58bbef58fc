package dotenv

import (
	"os"
	"path/filepath"
	"testing"
)

func TestParseFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), ".env")
	os.WriteFile(p, []byte("# c\nexport A=1\nB=\"two words\"\nC=3 # trailing\n"), 0o600)
	got, err := ParseFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if got["A"] != "1" || got["B"] != "two words" || got["C"] != "3" {
		t.Fatalf("got %v", got)
	}
}

func TestDiff(t *testing.T) {
	a := map[string]string{"X": "1", "Y": "2", "SKIP": "a"}
	b := map[string]string{"Y": "3", "Z": "4"}
	d := Diff(a, b, Options{Ignore: []string{"SK*"}})
	if len(d) != 3 || d[0].Key != "X" || d[1].Kind != "changed" || d[2].Kind != "removed" {
		t.Fatalf("got %+v", d)
	}
	if len(Diff(a, b, Options{KeysOnly: true, Ignore: []string{"SK*"}})) != 2 {
		t.Fatal("keys-only should ignore changed values")
	}
}
