package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
)

// command is one subcommand of csat.
type command struct {
	name    string
	args    string // synopsis of the arguments, e.g. "--branch B --month M"
	summary string // one line for `csat help`
	details string // paragraphs for `csat CMD -h`
	anyArgs bool   // the command reads positional arguments itself (fs.Args())
	// flags declares the command's flags on fs; it returns the function that runs the command.
	flags func(fs *flag.FlagSet, a *app) func(ctx context.Context) error
}

// app is what every command gets: configuration, streams, the logger.
type app struct {
	cfg    *config
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	log    *slog.Logger
	env    []string

	// Read commands: their branch flags (ids or names, resolved by readOp), the branch names,
	// and the --csv/--xlsx files.
	branchFlags       []branchArg
	names             map[string]string
	csvFile, xlsxFile string
}

// usageError is a bad invocation: exit code 2 and the command's usage.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// exitCode ends a command with a code and no further message (it printed its own output).
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit %d", int(e)) }

var commands = map[string]*command{}

func register(c *command) { commands[c.name] = c }

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, environ []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		if len(args) > 1 {
			if c, ok := commands[args[1]]; ok {
				printCommandHelp(stdout, c)
				return 0
			}
			fmt.Fprintf(stderr, "csat: unknown command %q%s\n", args[1], didYouMean(args[1]))
			return 2
		}
		printHelp(stdout)
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "csat: unknown command %q%s (see 'csat help')\n", args[0], didYouMean(args[0]))
		return 2
	}
	cfg, err := parseConfig(environ)
	if err != nil {
		fmt.Fprintf(stderr, "csat: configuration: %v\n", err)
		return 2
	}
	a := &app{cfg: cfg, stdin: stdin, stdout: stdout, stderr: stderr, env: environ}
	a.log = newLogger(stderr, cfg.Log)
	fs := flag.NewFlagSet("csat "+c.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { printCommandHelp(stderr, c) }
	runFn := c.flags(fs, a)
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 && !c.anyArgs {
		fmt.Fprintf(stderr, "csat %s: unexpected argument %q\n", c.name, fs.Arg(0))
		return 2
	}
	if err := runFn(ctx); err != nil {
		var ue *usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(stderr, "csat %s: %v\n(see 'csat %s -h')\n", c.name, err, c.name)
			return 2
		}
		var ec exitCode
		if errors.As(err, &ec) {
			return int(ec)
		}
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			return 0
		}
		fmt.Fprintf(stderr, "csat %s: %v\n", c.name, err)
		return 1
	}
	return 0
}

func printHelp(w io.Writer) {
	fmt.Fprint(w, `csat — an event-sourced customer-satisfaction pipeline: Kafka → ClickHouse → KPIs.

Usage:
  csat <command> [flags]
  csat help <command>     (or: csat <command> -h)

Commands:
`)
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprint(w, `
Configuration comes from CSAT_* environment variables; see README.md ("Configuration").
`)
}

func printCommandHelp(w io.Writer, c *command) {
	fmt.Fprintf(w, "Usage: csat %s %s\n\n%s\n", c.name, c.args, c.summary)
	if c.details != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(c.details))
	}
	if ex := examples[c.name]; ex != "" {
		fmt.Fprintf(w, "\nExample:\n%s\n", ex)
	}
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	c.flags(fs, &app{cfg: &config{}})
	has := false
	fs.VisitAll(func(*flag.Flag) { has = true })
	if has {
		fmt.Fprint(w, "\nFlags:\n")
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
}
