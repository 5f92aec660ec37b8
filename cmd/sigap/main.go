// Command sigap runs the SIGAP WhatsApp gateway and its tools: serve,
// import applications, migrate, chat, outbox and privacy (sigap help lists
// them). Configuration comes from the environment; see the README. Every
// subcommand answers -h and --help with its usage and does nothing else,
// and parses its command line through flags, which makes that so.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	_ "time/tzdata" // office time zones work on machines without a zoneinfo database
)

const usage = `usage: sigap COMMAND [flags]

commands:
  sigap serve [--demo]                     run the gateway (--demo: demo offices, simulator)
  sigap import applications [--move-office] [--demo] FILE
                                           load or update applications from CSV
  sigap migrate                            bring the database schema up to date
  sigap chat --office CODE [--from WA_ID]  chat with the bot in the terminal
  sigap outbox [--state failed|pending|sent|all] [--office CODE] [--to WA_ID] [--limit N]
                                           list replies that wait or could not be sent
  sigap privacy export WA_ID               everything stored about one applicant's WhatsApp id, as JSON
  sigap privacy erase WA_ID                delete or anonymise it, and say what was removed
  sigap user add --email EMAIL --role ROLE [--office CODE]
                                           create or reset a staff console account
  sigap token create --name NAME (--office CODE[,CODE] | --all-offices)
                                           an integration API token, printed once;
                                           sigap token list, sigap token revoke NAME
  sigap help [COMMAND]                     this text, or a command's usage

"sigap COMMAND --help" prints a command's usage and flags and does nothing else.
Configuration is read from the environment (SIGAP_ADDR, SIGAP_DATABASE,
SIGAP_OFFICES, WHATSAPP_*); see README.md.
`

func main() {
	privateFiles()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	switch {
	case err == nil:
	case errors.Is(err, errUsage):
		// What was wrong and the usage are printed already.
		stop()
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "sigap:", err)
		stop()
		os.Exit(1)
	}
}

var (
	// errUsage is a command line that cannot be run (exit status 2). A
	// subcommand returns it through flags.bad or flags.parse, which print
	// what is wrong and the usage first; run prints the general usage for
	// errUsage itself.
	errUsage = errors.New("usage")
	// errHelp is returned by flags.parse after printing the usage for -h or
	// --help: the subcommand returns at once, and run reports success.
	errHelp = errors.New("help printed")
)

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	err := dispatch(ctx, args, getenv, stdin, stdout, stderr)
	switch {
	case errors.Is(err, errHelp):
		return nil
	case err == errUsage: // bare: nobody said what is wrong
		fmt.Fprint(stderr, usage)
	}
	return err
}

func dispatch(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], getenv, stdout, stderr)
	case "import":
		return importCommand(ctx, args[1:], getenv, stdout, stderr)
	case "migrate":
		return migrate(ctx, args[1:], getenv, stdout, stderr)
	case "chat":
		return chat(ctx, args[1:], getenv, stdin, stdout, stderr)
	case "outbox":
		return outboxReport(ctx, args[1:], getenv, stdout, stderr)
	case "privacy":
		return privacy(ctx, args[1:], getenv, stdout, stderr)
	case "user":
		return user(ctx, args[1:], getenv, stdin, stdout, stderr)
	case "token":
		return tokenCommand(ctx, args[1:], getenv, stdout, stderr)
	case "help", "-h", "-help", "--help":
		if len(args) == 2 && args[0] == "help" {
			// sigap help COMMAND is sigap COMMAND --help.
			return dispatch(ctx, []string{args[1], "--help"}, getenv, stdin, stdout, stderr)
		}
		if len(args) > 2 {
			return errUsage
		}
		fmt.Fprint(stdout, usage)
		return errHelp
	}
	fmt.Fprintf(stderr, "sigap: unknown command %q\n", args[0])
	return errUsage
}

func isHelp(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help"
}

// flags is a subcommand's command line: its flags and what its --help
// prints. Every subcommand parses through it, so that --help never runs
// anything and a mistake is never silently ignored.
type flags struct {
	*flag.FlagSet
	usage          string // the synopsis and what the command does
	stdout, stderr io.Writer
}

// newFlags starts a subcommand's flags. name is the subcommand as typed
// ("serve", "import applications"); usage is its synopsis line followed by
// what it does, printed above the flags.
func newFlags(name, usage string, stdout, stderr io.Writer) *flags {
	f := &flags{FlagSet: flag.NewFlagSet(name, flag.ContinueOnError), usage: usage, stdout: stdout, stderr: stderr}
	f.SetOutput(io.Discard) // parse prints, to stdout or stderr as fits
	return f
}

// parse parses args; flags may come before or after the other arguments
// (which fs.Args() then holds), and "--" ends the flags. For -h or --help
// anywhere it prints the usage to stdout and returns errHelp; for a mistake
// (an unknown flag, a bad value) it prints the mistake and the usage to
// stderr and returns errUsage.
func (f *flags) parse(args []string) error {
	var rest []string
	for {
		err := f.FlagSet.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			f.printUsage(f.stdout)
			return errHelp
		}
		if err != nil {
			return f.bad("%v", err)
		}
		left := f.FlagSet.Args()
		if len(left) == 0 {
			break
		}
		if len(args) > len(left) && args[len(args)-len(left)-1] == "--" {
			rest = append(rest, left...) // after "--", all are arguments
			break
		}
		rest, args = append(rest, left[0]), left[1:]
	}
	// A --help after "--" still means help: no file is called --help.
	if slices.ContainsFunc(rest, isHelp) {
		f.printUsage(f.stdout)
		return errHelp
	}
	// Parse again with no arguments so that Args() returns rest.
	f.FlagSet.Parse(append([]string{"--"}, rest...)) //nolint:errcheck // "--" and arguments cannot fail
	return nil
}

// bad prints what is wrong with the command line and the usage to stderr,
// and returns errUsage.
func (f *flags) bad(format string, args ...any) error {
	fmt.Fprintf(f.stderr, "sigap %s: %s\n", f.Name(), fmt.Sprintf(format, args...))
	f.printUsage(f.stderr)
	return fmt.Errorf("%w: sigap %s", errUsage, f.Name())
}

// noArgs refuses arguments after the flags, for a subcommand that takes none.
func (f *flags) noArgs() error {
	if f.NArg() > 0 {
		return f.bad("unexpected argument %q", f.Arg(0))
	}
	return nil
}

// printUsage prints the usage and the flags, written as in the synopsis
// (--name, with a `WORD` of the flag's usage as its value).
func (f *flags) printUsage(w io.Writer) {
	fmt.Fprintf(w, "usage: sigap %s\n", strings.TrimRight(f.usage, "\n"))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	first := true
	f.VisitAll(func(fl *flag.Flag) {
		if first {
			fmt.Fprintln(tw, "\nflags:")
			first = false
		}
		arg, usage := flag.UnquoteUsage(fl)
		if arg != "" {
			arg = " " + arg
		}
		if d := fl.DefValue; d != "" && d != "false" && d != "0" {
			usage += fmt.Sprintf(" (default %s)", d)
		}
		fmt.Fprintf(tw, "  --%s%s\t%s\n", fl.Name, arg, usage)
	})
	tw.Flush()
}
