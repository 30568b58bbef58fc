package ledger

import (
	"context"
	"errors"
)

var (
	ErrInsufficientFunds = errors.New("insufficient funds")
	ErrSameAccount       = errors.New("source and destination are the same account")
)

// Store is what the ledger needs from persistence.
type Store interface {
	Transfer(ctx context.Context, key string, from, to int64, amount int64) error
	Balance(ctx context.Context, account int64) (int64, error)
	OpenAccount(ctx context.Context, name string) (int64, error)
}

type Ledger struct{ store Store }

func New(s Store) *Ledger { return &Ledger{store: s} }

// Transfer moves amount (in minor units) from one account to another exactly once per idempotency key.
func (l *Ledger) Transfer(ctx context.Context, key string, from, to, amount int64) error {
	if from == to {
		return ErrSameAccount
	}
	if amount <= 0 {
		return errors.New("amount must be positive")
	}
	bal, err := l.store.Balance(ctx, from)
	if err != nil {
		return err
	}
	if bal < amount {
		return ErrInsufficientFunds
	}
	return l.store.Transfer(ctx, key, from, to, amount)
}

func (l *Ledger) Balance(ctx context.Context, account int64) (int64, error) {
	return l.store.Balance(ctx, account)
}

func (l *Ledger) Open(ctx context.Context, name string) (int64, error) {
	return l.store.OpenAccount(ctx, name)
}
