package ledger

import (
	"context"
	"errors"
	"testing"
)

type memStore struct{ balances map[int64]int64 }

func (m *memStore) Transfer(_ context.Context, _ string, from, to, amount int64) error {
	m.balances[from] -= amount
	m.balances[to] += amount
	return nil
}
func (m *memStore) Balance(_ context.Context, a int64) (int64, error) { return m.balances[a], nil }
func (m *memStore) OpenAccount(_ context.Context, _ string) (int64, error) { return 0, nil }

func TestTransfer(t *testing.T) {
	s := &memStore{balances: map[int64]int64{1: 100, 2: 0}}
	l := New(s)
	if err := l.Transfer(context.Background(), "k1", 1, 2, 40); err != nil {
		t.Fatal(err)
	}
	if s.balances[1] != 60 || s.balances[2] != 40 {
		t.Fatalf("balances = %v", s.balances)
	}
	if err := l.Transfer(context.Background(), "k2", 1, 2, 1000); !errors.Is(err, ErrInsufficientFunds) {
		t.Fatalf("want ErrInsufficientFunds, got %v", err)
	}
	if err := l.Transfer(context.Background(), "k3", 1, 1, 1); !errors.Is(err, ErrSameAccount) {
		t.Fatalf("want ErrSameAccount, got %v", err)
	}
}
