package stream

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/holostream/holostream/embedded"
	"github.com/holostream/holostream/kafka"
)

// TestTableStopsReadsBeforeTheView: a Table answers reads while it runs and, once its Run has
// ended, refuses them (errStopped) instead of reaching into the view goka closes as its Run
// returns; readers hammering it through the shutdown trip no race (the race detector is on in
// the tests).
func TestTableStopsReadsBeforeTheView(t *testing.T) {
	cluster, err := embedded.Start(embedded.Options{Partitions: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	clients, err := kafka.New(kafka.Config{Brokers: cluster.Brokers(), ClientID: "table-test", Partitions: 2})
	if err != nil {
		t.Fatal(err)
	}
	table, err := NewTable(clients, NewTopology(""))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := table.State("cam"); !errors.Is(err, errRecovering) {
		t.Errorf("before Run: %v, want errRecovering", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- table.Run(ctx) }()
	for deadline := time.Now().Add(20 * time.Second); !table.Recovered(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the table did not recover in 20 s")
		}
	}
	if s, err := table.State("cam"); err != nil || s != nil {
		t.Errorf("running, no row: %v %v", s, err)
	}
	readers := make(chan struct{})
	for range 4 {
		go func() {
			defer func() { readers <- struct{}{} }()
			for end := time.Now().Add(2 * time.Second); time.Now().Before(end); {
				_, _ = table.Cameras(context.Background())
				_, _ = table.State("cam")
			}
		}()
	}
	time.Sleep(50 * time.Millisecond)
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
	for range 4 {
		<-readers
	}
	if _, err := table.State("cam"); !errors.Is(err, errStopped) || table.Recovered() {
		t.Errorf("after Run: %v, recovered %v; want errStopped and false", err, table.Recovered())
	}
}
