package main

import (
	"context"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/acme/ledgerd/internal/api"
	"github.com/acme/ledgerd/internal/ledger"
	"github.com/acme/ledgerd/internal/store"
)

func main() {
	log, _ := zap.NewProduction()
	defer log.Sync()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	db, err := store.Open(ctx, os.Getenv("LEDGERD_DSN"), os.Getenv("LEDGERD_DB_PASSWORD"))
	if err != nil {
		log.Fatal("open store", zap.Error(err))
	}
	defer db.Close()

	srv := &http.Server{Addr: ":8080", Handler: api.Router(ledger.New(db), log), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
			log.Fatal("serve", zap.Error(err))
		}
	}()
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdown)
}
