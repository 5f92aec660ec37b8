// Command sigap runs the SIGAP WhatsApp gateway and its tools:
//
//	sigap serve [--demo]              run the gateway (webhooks, simulator)
//	sigap import applications FILE    load or update applications from CSV
//	sigap migrate                     bring the database schema up to date
//	sigap chat --office CODE --from WA_ID   chat with the bot in the terminal
//	sigap outbox [--state failed]           list replies that wait or failed
//
// Configuration comes from the environment; see the README.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // office time zones work on machines without a zoneinfo database
)

const usage = `usage:
  sigap serve [--demo]                     run the gateway (webhooks, simulator)
  sigap import applications FILE           load or update applications from CSV
  sigap migrate                            bring the database schema up to date
  sigap chat --office CODE --from WA_ID    chat with the bot in the terminal
  sigap outbox [--state failed|pending|sent|all] [--office CODE]
                                           list replies that wait or could not be sent

Configuration is read from the environment (SIGAP_ADDR, SIGAP_DATABASE,
SIGAP_OFFICES, WHATSAPP_*); see README.md.
`

func main() {
	privateFiles()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, errUsage) {
			fmt.Fprint(os.Stderr, usage)
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "sigap:", err)
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], getenv, stdout, stderr)
	case "import":
		if len(args) != 3 || args[1] != "applications" {
			return errUsage
		}
		return importApplications(ctx, args[2], getenv, stdout, stderr)
	case "migrate":
		return migrate(ctx, getenv, stdout, stderr)
	case "chat":
		return chat(ctx, args[1:], getenv, stdin, stdout, stderr)
	case "outbox":
		return outboxReport(ctx, args[1:], getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return errUsage
}
