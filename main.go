// Command holostream turns camera frames into MediaPipe human landmarks and action analytics.
//
//	holostream demo                     everything in one process on real footage
//	holostream run --brokers ...        the processors against a Kafka cluster
//	holostream serve --brokers ...      the HTTP API and the web UI
//	holostream produce                  a camera producer
//	holostream consume TOPIC            a topic's records as JSON Lines
//	holostream state CAMERA             a camera's state from the landmarks table
//	holostream infer [flags] IMAGE...   landmarks for images, as JSON Lines
//	holostream loadtest [flags]         simulated cameras against the pipeline: throughput, latency, a report
//	holostream version                  the version
//
// Run `holostream help` or `holostream COMMAND -h` for the flags.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"demo", "everything in one process on real footage: embedded cluster, processors, producers", runDemo},
		{"run", "run the processors against a Kafka cluster", runRun},
		{"serve", "the HTTP API and web UI: frames in, landmarks of one image, cameras, live events", runServe},
		{"produce", "a camera producer: frames to the frames topic", runProduce},
		{"consume", "print a topic's records as JSON Lines", runConsume},
		{"state", "print a camera's state from the landmarks table", runState},
		{"infer", "landmarks for images (JSON Lines on stdout)", runInfer},
		{"loadtest", "simulated cameras against the pipeline: throughput, latency, accounting; JSON and HTML report", runLoadtest},
		{"version", "print the version", func(context.Context, []string, io.Writer, io.Writer) int {
			fmt.Println("holostream", version)
			return 0
		}},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := dispatch(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "holostream: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: holostream COMMAND [flags] [args]")
	fmt.Fprintln(w, "\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun `holostream COMMAND -h` for a command's flags.")
}
