package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/aggregate/api"
	"github.com/csat-dev/csat/aggregate/export"
	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/chdb"
)

// exitEmpty is the exit code of a read command whose result is empty (no data for the month,
// no alerts, no sub-branches): the reason is on standard error.
const exitEmpty = 3

// openExisting connects to the configured database for reading: it never creates the database
// or applies a migration. A database that does not exist, or lacks migrations, is an error that
// says which database and what to do.
func openExisting(ctx context.Context, a *app) (driver.Conn, error) {
	cfg := a.cfg.ClickHouse
	where := fmt.Sprintf("database %q on %s", cfg.Database, strings.Join(cfg.Addr, ","))
	probe, err := chdb.Open(ctx, cfg, chdb.WithoutDatabase())
	if err != nil {
		return nil, err
	}
	var n uint64
	err = probe.QueryRow(ctx, "SELECT count() FROM system.databases WHERE name = ?", cfg.Database).Scan(&n)
	if err == nil && n == 0 {
		err = fmt.Errorf("%s does not exist: set CSAT_CLICKHOUSE_DATABASE to the database that holds the data "+
			"(csat demo prints it), or create it with csat migrate and load events with csat ingest; read commands never create it", where)
	}
	if err == nil {
		var pending []string
		if pending, err = chdb.Pending(ctx, probe, cfg); err == nil && len(pending) > 0 {
			err = fmt.Errorf("%s lacks the migrations %s: run csat migrate (read commands never change the schema)", where, strings.Join(pending, ", "))
		}
	}
	if cerr := probe.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	return chdb.Open(ctx, cfg)
}

// branchFlag declares a branch flag that takes an id or a name (广州, 广州市): readOp resolves
// it to an id before the command runs.
func (a *app) branchFlag(fs *flag.FlagSet, name, def, usage string) *string {
	p := fs.String(name, def, usage+" (an id such as GD-GZ, or a name such as 广州; csat branches lists them)")
	a.branchFlags = append(a.branchFlags, branchArg{flag: name, value: p})
	return p
}

type branchArg struct {
	flag  string
	value *string
}

// exportFlags declares --csv FILE and --xlsx FILE: readOp writes the result's table there.
func (a *app) exportFlags(fs *flag.FlagSet) {
	fs.StringVar(&a.csvFile, "csv", "", "also write the result as a CSV `file` (UTF-8, Excel-ready)")
	fs.StringVar(&a.xlsxFile, "xlsx", "", "also write the result as an XLSX `file`")
}

// branchInfo is a known branch with its name ("" when the names file has none).
type branchInfo struct {
	ID, Name string
}

// knownBranches lists the branches named by any event, with their names, by id.
func knownBranches(ctx context.Context, eng *aggregate.Engine, names map[string]string) ([]branchInfo, error) {
	bs, err := eng.Branches(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]branchInfo, 0, len(bs))
	for _, b := range bs {
		out = append(out, branchInfo{ID: b.ID, Name: names[b.ID]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// matchBranches returns the branches whose id starts with q (any case) or whose name contains
// q, in id order.
func matchBranches(bs []branchInfo, q string) []branchInfo {
	var out []branchInfo
	uq := strings.ToUpper(q)
	for _, b := range bs {
		if strings.HasPrefix(b.ID, uq) || (b.Name != "" && strings.Contains(b.Name, q)) {
			out = append(out, b)
		}
	}
	return out
}

// resolveBranch turns a --branch value into an id: ALL or a well-formed id as it is (the
// engine reports an unknown one), a lower-case id in capitals, else a name: the branch of that
// exact name, else the one branch whose name contains it.
func resolveBranch(bs []branchInfo, flagName, s string) (string, error) {
	if s == schema.Root || schema.ValidBranchID(s) {
		return s, nil
	}
	if u := strings.ToUpper(s); u == schema.Root || schema.ValidBranchID(u) {
		return u, nil
	}
	var named []branchInfo
	for _, b := range bs {
		if b.Name == s {
			return b.ID, nil
		}
		if b.Name != "" && strings.Contains(b.Name, s) {
			named = append(named, b)
		}
	}
	switch len(named) {
	case 1:
		return named[0].ID, nil
	case 0:
		hasNames := false
		for _, b := range bs {
			hasNames = hasNames || b.Name != ""
		}
		if !hasNames {
			return "", usagef("--%s %q: not a branch id, and no branch names are loaded (CSAT_BRANCH_NAMES_FILE)", flagName, s)
		}
		return "", usagef("--%s %q: no branch has that id or name (csat branches lists them)", flagName, s)
	}
	var c []string
	for _, b := range named {
		c = append(c, b.ID+" "+b.Name)
	}
	return "", usagef("--%s %q names %d branches: %s", flagName, s, len(named), strings.Join(c, ", "))
}

// resolveBranchFlags rewrites every branch flag of the command to an id.
func (a *app) resolveBranchFlags(ctx context.Context, eng *aggregate.Engine) error {
	var bs []branchInfo
	for _, f := range a.branchFlags {
		v := *f.value
		if v == schema.Root || schema.ValidBranchID(v) {
			continue
		}
		if bs == nil {
			var err error
			if bs, err = knownBranches(ctx, eng, a.names); err != nil {
				return err
			}
		}
		id, err := resolveBranch(bs, f.flag, v)
		if err != nil {
			return err
		}
		*f.value = id
	}
	return nil
}

// nameOf returns "id name", or the id alone when no name is known.
func (a *app) nameOf(id string) string {
	if n := a.names[id]; n != "" {
		return id + " " + n
	}
	return id
}

// writeExports writes v's table to the --csv and --xlsx files.
func (a *app) writeExports(v any) error {
	if a.csvFile == "" && a.xlsxFile == "" {
		return nil
	}
	names := export.Names(func(id string) string { return a.names[id] })
	t, ok := export.Of(v, names)
	if !ok {
		return errors.New("--csv and --xlsx are not available for this command")
	}
	for _, f := range []struct{ path, format string }{{a.csvFile, "csv"}, {a.xlsxFile, "xlsx"}} {
		if f.path == "" {
			continue
		}
		if err := writeFileAtomic(f.path, func(w *os.File) error { return t.Write(w, f.format) }); err != nil {
			return fmt.Errorf("--%s %s: %w", f.format, f.path, err)
		}
		fmt.Fprintf(a.stderr, "wrote %s (%d rows)\n", f.path, len(t.Rows))
	}
	return nil
}

// writeFileAtomic writes path through a temporary file in its folder, renamed at the end, so a
// failed write leaves no half file.
func writeFileAtomic(path string, write func(*os.File) error) (err error) {
	dir, base := ".", path
	if i := strings.LastIndexByte(path, os.PathSeparator); i >= 0 {
		dir, base = path[:i+1], path[i+1:]
	}
	f, err := os.CreateTemp(dir, "."+base+".*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = write(f); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// emptyReason says why a result is empty ("" when it is not).
func (a *app) emptyReason(v any) string {
	switch x := v.(type) {
	case kpi.Card:
		if cardEmpty(x) {
			return fmt.Sprintf("no data for %s in %s: no survey response, rating, complaint, churn or subscriber base", a.nameOf(x.Branch), x.Month)
		}
	case aggregate.Trend:
		for _, p := range x.Points {
			if p.Value != nil {
				return ""
			}
		}
		return fmt.Sprintf("no value of %s for %s from %s to %s", x.Metric, a.nameOf(x.Branch), x.From, x.To)
	case aggregate.Comparison:
		if len(x.Children) == 0 {
			return fmt.Sprintf("%s has no sub-branches with data in %s", a.nameOf(x.Parent), x.Month)
		}
		for _, c := range x.Children {
			if c.Value != nil {
				return ""
			}
		}
		return fmt.Sprintf("no sub-branch of %s has a value of %s in %s", a.nameOf(x.Parent), x.Metric, x.Month)
	case aggregate.AlertList:
		if len(x.Alerts) == 0 {
			return fmt.Sprintf("no alerts in %s: no rule fired (or there is no data for the month)", x.Month)
		}
	case kpi.ScorecardResult:
		for _, c := range x.Components {
			if !c.Missing || c.Value != nil {
				return ""
			}
		}
		return fmt.Sprintf("every scorecard component of %s in %s is missing: no reportable data for the period", a.nameOf(x.Branch), x.Period)
	case branchMatches:
		switch {
		case x.Known == 0:
			return "no branches yet: no event has been ingested into this database"
		case len(x.Branches) == 0:
			return fmt.Sprintf("no branch id starts with %q and no name contains it (%d branches known; csat branches lists them)", x.Query, x.Known)
		}
	case aggregate.League:
		if len(x.Branches) == 0 {
			return fmt.Sprintf("no branches at level %d under %s", x.Level, a.nameOf(x.Parent))
		}
	case aggregate.UnitLeague:
		if len(x.Units) == 0 {
			return fmt.Sprintf("no %s under %s in %s%s", unitNouns[x.Unit], a.nameOf(x.Parent), x.Period, a.frontlineHint())
		}
	case api.UnitView:
		if c := x.Card; c.Branch == "" && c.Ratings == 0 && c.Complaints == 0 {
			return fmt.Sprintf("no event names %s %s up to %s%s", c.Kind, c.Unit, c.Period, a.frontlineHint())
		}
	case aggregate.FunnelPlot:
		if len(x.Children) == 0 {
			return fmt.Sprintf("%s has no sub-branches with a rate in %s", a.nameOf(x.Parent), x.Month)
		}
	}
	return ""
}

// cardEmpty reports whether a card holds nothing for its month.
func cardEmpty(c kpi.Card) bool {
	own := c.Survey.Own
	return own.CSI.N == 0 && own.Overall.N == 0 && c.Window.Hotline.N == 0 && c.Window.Store.N == 0 &&
		c.Complaints.Opened == 0 && c.Complaints.Closed == 0 && c.Churn.Churned == 0 && c.Base == nil
}

// lastFullMonth is the month before the current one in the reporting time zone.
func lastFullMonth(a *app) schema.Month {
	loc, err := a.cfg.Schema.Location()
	if err != nil {
		loc = time.UTC
	}
	return schema.MonthOf(time.Now(), loc).Prev()
}

// frontlineHint explains an empty front-line read when the projection is off.
func (a *app) frontlineHint() string {
	if a.cfg != nil && !a.cfg.KPI.Frontline {
		return " (the front-line projection is computed only with CSAT_FRONTLINE=1; turn it on and run csat rebuild)"
	}
	return ""
}
