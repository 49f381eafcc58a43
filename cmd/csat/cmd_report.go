package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/aggregate/report"
	"github.com/csat-dev/csat/schema"
)

// reportTrends are the metrics every monthly report draws; the items alerted for the branch
// itself are added after them.
var reportTrends = []string{"csi", "lead", "window_satisfaction", "complaint_rate", "churn_rate", "high_value_churn_rate"}

func init() {
	register(&command{
		name:    "report",
		args:    "--branch B --month YYYY-MM [--out FILE] [--pdf FILE]",
		summary: "the printable monthly report of a branch (HTML in Chinese; PDF through headless Chromium)",
		details: `Writes one self-contained HTML page (no script, no external file, a print stylesheet for A4):
the KPI card, the last 13 months of CSI, lead, window satisfaction, complaint and churn rates
(and of the items alerted for the branch), the survey items with the short planks, the month's
alerts in the branch's subtree in words, and the scorecard of the month and of the last complete
quarter. The HTML goes to standard output, or to --out FILE. --pdf FILE also prints it to PDF
with headless Chromium (chromium, chromium-browser or google-chrome on PATH).`,
		flags: func(fs *flag.FlagSet, a *app) func(context.Context) error {
			branch := a.branchFlag(fs, "branch", "", "branch")
			month := fs.String("month", "", "month, YYYY-MM")
			out := fs.String("out", "", "write the HTML to this `file` instead of standard output")
			pdf := fs.String("pdf", "", "also print the report to this PDF `file` (needs headless Chromium)")
			return func(ctx context.Context) error {
				if *branch == "" {
					return usagef("--branch is required")
				}
				m, err := monthFlag("month", *month)
				if err != nil {
					return err
				}
				var chrome string
				if *pdf != "" {
					if chrome, err = findChromium(); err != nil {
						return err
					}
				}
				var html bytes.Buffer
				err = readOp(ctx, a, false, func(ctx context.Context, eng *aggregate.Engine, cat schema.Catalog) (any, func(io.Writer) error, error) {
					d, err := reportData(ctx, a, eng, cat, *branch, m)
					if err != nil {
						return nil, nil, err
					}
					if err := report.Render(&html, d); err != nil {
						return nil, nil, err
					}
					// The card decides whether the month is empty (exit 3 with the reason).
					return d.Card, func(w io.Writer) error {
						if *out != "" {
							return nil
						}
						_, err := w.Write(html.Bytes())
						return err
					}, nil
				})
				var ec exitCode
				if err != nil && !errors.As(err, &ec) {
					return err
				}
				if *out != "" {
					if werr := writeFileAtomic(*out, func(f *os.File) error { _, e := f.Write(html.Bytes()); return e }); werr != nil {
						return fmt.Errorf("--out %s: %w", *out, werr)
					}
					fmt.Fprintf(a.stderr, "wrote %s\n", *out)
				}
				if *pdf != "" && html.Len() > 0 {
					if perr := printPDF(ctx, chrome, html.Bytes(), *pdf); perr != nil {
						return fmt.Errorf("--pdf %s: %w", *pdf, perr)
					}
					fmt.Fprintf(a.stderr, "wrote %s\n", *pdf)
				}
				return err
			}
		},
	})
}

// reportData reads what the report of branch b and month m shows.
func reportData(ctx context.Context, a *app, eng *aggregate.Engine, cat schema.Catalog, b string, m schema.Month) (report.Data, error) {
	d := report.Data{Branch: b, Names: a.names, Month: m, Catalog: cat,
		Generated: fmt.Sprintf("csat report · %s · 生成于 %s", a.cfg.ClickHouse.Database, time.Now().Format("2006-01-02 15:04"))}
	var err error
	if d.Card, err = eng.Card(ctx, b, m); err != nil {
		return d, err
	}
	al, err := eng.Alerts(ctx, b, m)
	if err != nil {
		return d, err
	}
	d.Alerts = al.Alerts
	metrics := append([]string(nil), reportTrends...)
	for _, x := range al.Alerts {
		if x.Branch == b && strings.HasPrefix(x.Metric, "item:") && !contains(metrics, x.Metric) && len(metrics) < len(reportTrends)+3 {
			metrics = append(metrics, x.Metric)
		}
	}
	for _, metric := range metrics {
		tr, err := eng.Trend(ctx, b, metric, m.Add(-12), m)
		if err != nil {
			return d, err
		}
		d.Trends = append(d.Trends, tr)
	}
	for _, p := range []string{m.String(), lastCompleteQuarter(m)} {
		sc, err := eng.Scorecard(ctx, b, p)
		var pe *aggregate.ParamError
		if errors.As(err, &pe) {
			continue // no scorecard configured
		}
		if err != nil {
			return d, err
		}
		d.Scorecards = append(d.Scorecards, sc)
	}
	return d, nil
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// lastCompleteQuarter is the latest quarter whose last month is m or before.
func lastCompleteQuarter(m schema.Month) string {
	q := (m.Mon()-1)/3 + 1
	if m.Mon()%3 != 0 {
		q--
	}
	y := m.Year()
	if q == 0 {
		y, q = y-1, 4
	}
	return fmt.Sprintf("%d-Q%d", y, q)
}

// findChromium returns the path of a headless-capable Chromium or Chrome.
func findChromium() (string, error) {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("--pdf needs headless Chromium: no chromium, chromium-browser or google-chrome on PATH (apt-get install chromium); the HTML report prints to PDF from any browser too")
}

// printPDF prints html to the PDF file out with headless Chromium (its own temporary profile).
func printPDF(ctx context.Context, chrome string, html []byte, out string) error {
	dir, err := os.MkdirTemp("", "csat-report-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	src := filepath.Join(dir, "report.html")
	if err := os.WriteFile(src, html, 0o600); err != nil {
		return err
	}
	abs, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, "report.pdf")
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chrome, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--no-first-run", "--disable-extensions", "--user-data-dir="+filepath.Join(dir, "profile"),
		"--no-pdf-header-footer", "--print-to-pdf="+tmp, "file://"+src)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w: %s", filepath.Base(chrome), err, lastLine(stderr.String()))
	}
	pdf, err := os.ReadFile(tmp)
	if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF")) {
		return fmt.Errorf("%s wrote no PDF: %s", filepath.Base(chrome), lastLine(stderr.String()))
	}
	return writeFileAtomic(abs, func(f *os.File) error { _, err := f.Write(pdf); return err })
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return s
}
