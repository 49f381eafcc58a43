// Package embedded starts the services of csat's one-command demo on this machine: a private
// ClickHouse server run from the installed clickhouse-server binary in a state folder on free
// ports, and an in-process Kafka-protocol broker (franz-go's kfake).
//
// Both are for demos and trials, not production: the ClickHouse data lives in the state folder
// and survives restarts; the Kafka broker keeps its data in memory only.
package embedded

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ClickHouse is a private clickhouse-server process.
type ClickHouse struct {
	// Addr is the native-protocol address, host:port.
	Addr string
	dir  string
	cmd  *exec.Cmd
	done chan struct{}
}

// ErrNoClickHouse means no clickhouse-server binary is installed.
var ErrNoClickHouse = errors.New("no clickhouse-server binary found (install Debian's clickhouse-server package: scripts/clickhouse.sh install)")

// findServer returns the command that runs a ClickHouse server: Debian's clickhouse-server, or
// the single clickhouse binary of modern releases with its "server" subcommand.
func findServer() ([]string, error) {
	for _, p := range []string{"/usr/sbin/clickhouse-server", "/usr/bin/clickhouse-server"} {
		if _, err := os.Stat(p); err == nil {
			return []string{p}, nil
		}
	}
	if p, err := exec.LookPath("clickhouse-server"); err == nil {
		return []string{p}, nil
	}
	if p, err := exec.LookPath("clickhouse"); err == nil {
		return []string{p, "server"}, nil
	}
	return nil, ErrNoClickHouse
}

// StartClickHouse starts a ClickHouse server with its data under dir, on free loopback ports, and
// waits until it answers. logw receives nothing on success; the server's own logs are in dir/log.
func StartClickHouse(ctx context.Context, dir string) (*ClickHouse, error) {
	bin, err := findServer()
	if err != nil {
		return nil, err
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	for _, d := range []string{"data", "tmp", "user_files", "format_schemas", "log"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, fmt.Errorf("clickhouse state folder: %w", err)
		}
	}
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	tcp, httpPort, inter := ports[0], ports[1], ports[2]
	cfgPath := filepath.Join(dir, "config.xml")
	if err := os.WriteFile(cfgPath, []byte(serverConfig(dir, tcp, httpPort, inter)), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "users.xml"), []byte(usersConfig), 0o644); err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "log", "stdout.log"))
	if err != nil {
		return nil, err
	}
	args := append(bin[1:], "--config-file="+cfgPath)
	cmd := exec.Command(bin[0], args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own process group (a terminal's Ctrl-C reaches csat, which stops the server in order),
	// and SIGTERM from the kernel when csat dies without stopping it (SIGKILL, a crash).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", bin[0], err)
	}
	ch := &ClickHouse{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(tcp)), dir: dir, cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(ch.done)
	}()
	ping := fmt.Sprintf("http://127.0.0.1:%d/ping", httpPort)
	deadline := time.Now().Add(90 * time.Second)
	for {
		select {
		case <-ch.done:
			return nil, fmt.Errorf("clickhouse-server exited during start; see %s", filepath.Join(dir, "log"))
		case <-ctx.Done():
			ch.Stop()
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		if ok := pingOK(ping); ok {
			return ch, nil
		}
		if time.Now().After(deadline) {
			ch.Stop()
			return nil, fmt.Errorf("clickhouse-server did not answer on %s within 90s; see %s", ping, filepath.Join(dir, "log"))
		}
	}
}

func pingOK(url string) bool {
	c := http.Client{Timeout: time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64))
	return resp.StatusCode == http.StatusOK && strings.HasPrefix(string(b), "Ok")
}

// Stop terminates the server (SIGTERM, then SIGKILL after 15 s) and waits for it. It is idempotent.
func (c *ClickHouse) Stop() {
	if c == nil || c.cmd == nil || c.cmd.Process == nil {
		return
	}
	select {
	case <-c.done:
		return
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(15 * time.Second):
		_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
		<-c.done
	}
}

func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	out := make([]int, 0, n)
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		ls = append(ls, l)
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	return out, nil
}

func serverConfig(dir string, tcp, httpPort, inter int) string {
	return fmt.Sprintf(`<?xml version="1.0"?>
<!-- Written by csat demo: a private ClickHouse server for the embedded demo. -->
<yandex>
    <logger>
        <level>warning</level>
        <log>%[1]s/log/clickhouse-server.log</log>
        <errorlog>%[1]s/log/clickhouse-server.err.log</errorlog>
        <size>100M</size>
        <count>3</count>
    </logger>
    <http_port>%[3]d</http_port>
    <tcp_port>%[2]d</tcp_port>
    <interserver_http_port>%[4]d</interserver_http_port>
    <listen_host>127.0.0.1</listen_host>
    <max_connections>256</max_connections>
    <keep_alive_timeout>3</keep_alive_timeout>
    <max_concurrent_queries>100</max_concurrent_queries>
    <uncompressed_cache_size>1073741824</uncompressed_cache_size>
    <mark_cache_size>536870912</mark_cache_size>
    <path>%[1]s/data/</path>
    <tmp_path>%[1]s/tmp/</tmp_path>
    <user_files_path>%[1]s/user_files/</user_files_path>
    <format_schema_path>%[1]s/format_schemas/</format_schema_path>
    <users_config>%[1]s/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
</yandex>
`, dir, tcp, httpPort, inter)
}

const usersConfig = `<?xml version="1.0"?>
<yandex>
    <profiles>
        <default>
            <max_memory_usage>8000000000</max_memory_usage>
            <load_balancing>random</load_balancing>
        </default>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas>
        <default>
            <interval>
                <duration>3600</duration>
                <queries>0</queries>
                <errors>0</errors>
                <result_rows>0</result_rows>
                <read_rows>0</read_rows>
                <execution_time>0</execution_time>
            </interval>
        </default>
    </quotas>
</yandex>
`
