package api

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/errgroup"
)

// Server is the HTTP read side. Build it with New; serve with Run (or mount Handler).
type Server struct {
	cfg     Config
	reader  Reader
	log     *slog.Logger
	ready   func(context.Context) error
	tokens  *tokenSet // nil: open API
	assets  *assets
	gauges  *kpiCollector
	asOf    *asOfLimiter
	handler http.Handler

	reads sync.WaitGroup // the goroutines of apiHandler: Serve waits for them
}

// New builds the server: it validates cfg, loads the tokens file (when configured) and the
// embedded assets, and registers its metrics with reg. A nil logger discards; a nil reg gets
// a private registry, so /metrics still serves the KPI gauges. /metrics serves what reg gathers
// when reg is also a prometheus.Gatherer (a *prometheus.Registry is), else the private
// registry's. ready is called by /readyz (nil: always ready).
func New(cfg Config, r Reader, logger *slog.Logger, reg prometheus.Registerer, ready func(context.Context) error) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if r == nil {
		return nil, errors.New("api: nil Reader")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 10 * time.Second
	}
	s := &Server{cfg: cfg, reader: r, log: logger.With("component", "api"), ready: ready,
		asOf: newAsOfLimiter(cfg.AsOfConcurrency, cfg.AsOfPerCaller)}
	if cfg.TokensFile != "" {
		entries, err := LoadTokens(cfg.TokensFile)
		if err != nil {
			return nil, err
		}
		s.tokens = newTokenSet(entries)
		s.log.Info("api tokens loaded", "tokens", len(entries), "file", cfg.TokensFile)
	} else {
		s.log.Warn("no API tokens configured (CSAT_API_TOKENS_FILE unset): the API is open to anyone who can reach it")
	}
	var err error
	if s.assets, err = loadAssets(); err != nil {
		return nil, err
	}
	var gatherer prometheus.Gatherer
	if reg == nil {
		pr := prometheus.NewRegistry()
		reg, gatherer = pr, pr
	} else if g, ok := reg.(prometheus.Gatherer); ok {
		gatherer = g
	} else {
		gatherer = prometheus.DefaultGatherer
	}
	s.gauges = newKPICollector(r, cfg, s.log)
	if err := reg.Register(s.gauges); err != nil {
		return nil, fmt.Errorf("register KPI gauges: %w", err)
	}
	s.handler, err = s.routes(reg, gatherer)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Handler returns the server's whole HTTP handler (API, dashboard, probes, /metrics).
func (s *Server) Handler() http.Handler { return s.handler }

// Run listens on cfg.Addr and serves until ctx is cancelled, then shuts down gracefully.
func (s *Server) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s (CSAT_HTTP_ADDR): %w", s.cfg.Addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve is Run on a listener the caller opened (tests listen on 127.0.0.1:0). It closes ln.
// It owns the HTTP server, the KPI gauge refresher and the goroutines that run API reads, and
// returns when all have stopped (reads that outlive the shutdown timeout, stuck in a driver
// that ignores its context, are waited for as long again, then logged and left).
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	tlsOn := s.cfg.TLSCertFile != ""
	if tlsOn {
		cert, err := tls.LoadX509KeyPair(s.cfg.TLSCertFile, s.cfg.TLSKeyFile)
		if err != nil {
			ln.Close()
			return fmt.Errorf("CSAT_HTTP_TLS_CERT_FILE/CSAT_HTTP_TLS_KEY_FILE: %w", err)
		}
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
		ln = tls.NewListener(ln, srv.TLSConfig)
	}
	s.log.Info("http server listening", "addr", ln.Addr().String(), "tls", tlsOn)

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("http serve: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		<-gctx.Done()
		// The root context is cancelled: shutdown gets its own deadline.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			return fmt.Errorf("http shutdown: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		s.gauges.run(gctx)
		return nil
	})
	err := g.Wait()
	s.waitReads()
	s.log.Info("http server stopped")
	return err
}

// waitReads waits for the API reads still running (their requests were answered at their
// deadline), at most ShutdownTimeout.
func (s *Server) waitReads() {
	done := make(chan struct{})
	go func() {
		s.reads.Wait()
		close(done)
	}()
	t := time.NewTimer(s.cfg.ShutdownTimeout)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		s.log.Warn("api reads still running after the shutdown timeout", "timeout", s.cfg.ShutdownTimeout)
	}
}

func (s *Server) routes(reg prometheus.Registerer, gatherer prometheus.Gatherer) (http.Handler, error) {
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "csat_http_requests_total",
		Help: "HTTP requests served, by route and status code.",
	}, []string{"handler", "code"})
	duration := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "csat_http_request_duration_seconds",
		Help:    "Time to serve an HTTP request, by route.",
		Buckets: []float64{.005, .01, .025, .05, .1, .15, .25, .5, 1, 2.5, 5},
	}, []string{"handler"})
	for _, c := range []prometheus.Collector{requests, duration} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register http metrics: %w", err)
		}
	}
	mux := http.NewServeMux()
	handle := func(pattern, name string, h http.Handler) {
		h = promhttp.InstrumentHandlerDuration(duration.MustCurryWith(prometheus.Labels{"handler": name}),
			promhttp.InstrumentHandlerCounter(requests.MustCurryWith(prometheus.Labels{"handler": name}), h))
		mux.Handle(pattern, h)
	}
	api := func(pattern, name string, f apiFunc) {
		handle(pattern, name, s.authenticate(s.apiHandler(f)))
	}
	// Every route is registered for all methods and answers any but GET and HEAD with a JSON
	// 405 (the mux's own 405 is text/plain).
	for _, rt := range s.apiRoutes() {
		api(rt.path, rt.name, rt.f)
	}
	handle("/api/v1/openapi.json", "openapi", onlyGET(http.HandlerFunc(s.openAPI)))
	handle("/api/", "api_not_found", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &httpError{status: http.StatusNotFound, msg: "no such endpoint: " + echo(r.URL.Path)})
	}))
	handle("/healthz", "healthz", onlyGET(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})))
	handle("/readyz", "readyz", onlyGET(http.HandlerFunc(s.readyz)))
	metrics := promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)})
	handle("/metrics", "metrics", onlyGET(s.authenticate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := authorize(r, "ALL", ""); err != nil {
			writeError(w, &httpError{status: http.StatusForbidden, msg: "/metrics needs a token scoped to ALL"})
			return
		}
		metrics.ServeHTTP(w, r)
	}))))
	handle("/", "static", onlyGET(s.assets))
	return s.recoverer(mux), nil
}

// apiRoute is one data endpoint of the API.
type apiRoute struct {
	path, name string // the name labels its metrics
	f          apiFunc
}

// apiRoutes are the data endpoints (authenticated, scope-checked). A new one needs a decision
// for store-scoped tokens (SPEC §5.5), which TestStoreTokenEveryRoute asks of each of APIPaths.
func (s *Server) apiRoutes() []apiRoute {
	return []apiRoute{
		{"/api/v1/kpi", "kpi", s.kpi},
		{"/api/v1/trend", "trend", s.trend},
		{"/api/v1/compare", "compare", s.exportable(s.compare)},
		{"/api/v1/alerts", "alerts", s.exportable(s.alerts)},
		{"/api/v1/scorecard", "scorecard", s.exportable(s.scorecard)},
		{"/api/v1/metrics", "metrics_list", s.metrics},
		{"/api/v1/branches", "branches", s.branches},
		{"/api/v1/funnel", "funnel", s.funnel},
		{"/api/v1/rank", "rank", s.exportable(s.rank)},
		{"/api/v1/unit", "unit", s.unit},
	}
}

// APIPaths lists the paths of the data endpoints (those a token's scope governs).
func APIPaths() []string {
	var s Server
	rs := s.apiRoutes()
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.path
	}
	return out
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		if err := s.ready(ctx); err != nil {
			s.log.Warn("not ready", "err", err)
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not ready", "error": err.Error()})
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// recoverer answers a panicking handler with 500 and logs the panic; nothing is re-panicked
// except http.ErrAbortHandler, which net/http uses to abort a response on purpose.
func (s *Server) recoverer(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler { //nolint:errorlint // sentinel panic value, not an error chain
				panic(v)
			}
			s.log.Error("handler panic", "path", r.URL.Path, "panic", fmt.Sprint(v))
			writeError(w, &httpError{status: http.StatusInternalServerError, msg: "internal error"})
		}()
		h.ServeHTTP(w, r)
	})
}
