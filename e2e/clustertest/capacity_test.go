package clustertest_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/ingest"
	"github.com/csat-dev/csat/ingest/kafkatest"
	"github.com/csat-dev/csat/ingest/traffic"
	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/chdb/chtest"
)

// TestCapacity measures the inputs of docs/capacity.md on the single test server: it produces
// CSAT_CAPACITY_EVENTS messages of the realistic mix (traffic.Gen: random event ids, every
// Kafka column filled), drains them with the real ingest path, and prints the events per CPU
// second of the ingest process and of the ClickHouse server, and the bytes on disk per row of
// every raw table after merging. It runs only when CSAT_CAPACITY_EVENTS is set, e.g.
//
//	CSAT_CAPACITY_EVENTS=1000000 go test -run TestCapacity -v -timeout 30m ./e2e/clustertest
func TestCapacity(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("CSAT_CAPACITY_EVENTS"))
	if n <= 0 {
		t.Skip("set CSAT_CAPACITY_EVENTS to measure (a measurement, not a test)")
	}
	kafkatest.Need(t)
	conn, cfg := chtest.New(t)
	tp := traffic.UniqueTopics("capacity")
	kafkatest.CreateAll(t, tp, 12)
	loc, _ := time.LoadLocation("Asia/Shanghai")
	dec := schema.NewDecoder(schema.DefaultCatalog(), tp, loc)
	g := traffic.NewGen(5, tp)
	w := kafkatest.Writer(t)
	ctx := context.Background()
	for done := 0; done < n; {
		k := min(100000, n-done)
		msgs := make([]kafka.Message, 0, k)
		for range k {
			msgs = append(msgs, g.Next())
		}
		if err := traffic.Produce(ctx, w, msgs); err != nil {
			t.Fatal(err)
		}
		done += k
	}
	t.Logf("produced %d messages", n)

	chPid := clickhousePid(t)
	icfg := ingest.DefaultConfig()
	icfg.Brokers = kafkatest.Brokers()
	icfg.Group = traffic.Unique("capacity")
	proj := aggregate.NewProjector(conn, projectorConfig(), nil, nil)
	in, err := ingest.New(icfg, dec, tp, conn, nil, nil, ingest.WithProjector(proj))
	if err != nil {
		t.Fatal(err)
	}
	self0, ch0 := selfCPU(), procCPU(t, chPid)
	start := time.Now()
	if err := in.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	wall := time.Since(start)
	selfCPUs, chCPUs := (selfCPU() - self0).Seconds(), (procCPU(t, chPid) - ch0).Seconds()
	t.Logf("ingest (with the final projection refresh): %d events in %v = %.0f events/s wall on %d cores",
		n, wall.Round(time.Millisecond), float64(n)/wall.Seconds(), runtime.NumCPU())
	t.Logf("CPU: ingest process %.1f s = %.0f events per CPU-second; ClickHouse server %.1f s = %.0f events per CPU-second",
		selfCPUs, float64(n)/selfCPUs, chCPUs, float64(n)/chCPUs)

	var out strings.Builder
	fmt.Fprintf(&out, "\n| table | rows | bytes on disk | bytes/row | uncompressed bytes/row | ratio |\n|---|---|---|---|---|---|\n")
	var rows, bytes uint64
	for _, tb := range rawTables {
		if err := conn.Exec(ctx, "OPTIMIZE TABLE "+tb+" FINAL"); err != nil {
			t.Fatalf("optimize %s: %v", tb, err)
		}
		var r, b, u uint64
		err := conn.QueryRow(ctx, "SELECT sum(rows), sum(bytes_on_disk), sum(data_uncompressed_bytes) FROM system.parts "+
			"WHERE active AND database = ? AND table = ?", cfg.Database, tb).Scan(&r, &b, &u)
		if err != nil {
			t.Fatal(err)
		}
		if r == 0 {
			continue
		}
		rows, bytes = rows+r, bytes+b
		fmt.Fprintf(&out, "| %s | %d | %d | %.1f | %.1f | %.2f |\n", tb, r, b, float64(b)/float64(r), float64(u)/float64(r), float64(u)/float64(b))
	}
	fmt.Fprintf(&out, "| all raw tables | %d | %d | %.1f | | |\n", rows, bytes, float64(bytes)/float64(rows))
	t.Log(out.String())
}

// clickhousePid returns the pid of the test server (scripts/clickhouse.sh pid).
func clickhousePid(t *testing.T) int {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	out, err := exec.Command("bash", filepath.Join(filepath.Dir(file), "..", "..", "scripts", "clickhouse.sh"), "pid").Output()
	pid, perr := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil || perr != nil {
		t.Fatalf("pid of the ClickHouse server: %v %v (%q)", err, perr, out)
	}
	return pid
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru) // Linux: cannot fail with these arguments
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procCPU reads utime+stime of pid from /proc (clock ticks of 1/100 s on Linux).
func procCPU(t *testing.T, pid int) time.Duration {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}
