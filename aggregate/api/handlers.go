package api

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/aggregate/kpi"
	"github.com/csat-dev/csat/schema"
)

// maxTrendMonths bounds a trend request (ten years), so one request cannot ask for centuries.
const maxTrendMonths = 120

//go:embed openapi.json
var openAPIDoc []byte

// httpError is an error answered with its status and {"error", "param"}; retryAfter, when
// set, is sent as Retry-After (seconds).
type httpError struct {
	status     int
	param      string
	msg        string
	retryAfter int
	allow      string // the Allow header of a 405
}

func (e *httpError) Error() string { return e.msg }

// badParam is a bad request parameter: the one parameter error type of the read side,
// aggregate's, answered 400 naming the parameter. Format the request's values with echo.
func badParam(param, format string, args ...any) error {
	return &aggregate.ParamError{Param: param, Msg: fmt.Sprintf(format, args...)}
}

// maxEcho bounds a value of the request quoted back in an error message (bytes), and maxErrorMsg
// the message itself, so an error never echoes a huge parameter back.
const (
	maxEcho     = 64
	maxErrorMsg = 512
)

// echo quotes a value of the request for an error message: whole up to maxEcho bytes, else its
// first maxEcho bytes (whole UTF-8 characters) and a marker with its full length.
func echo(v string) string {
	if len(v) <= maxEcho {
		return strconv.Quote(v)
	}
	cut := maxEcho
	for cut > 0 && !utf8.RuneStart(v[cut]) {
		cut--
	}
	return strconv.Quote(v[:cut]) + fmt.Sprintf("…(truncated, %d bytes)", len(v))
}

// bound cuts an error message to maxErrorMsg bytes (whole UTF-8 characters) with a marker.
func bound(msg string) string {
	if len(msg) <= maxErrorMsg {
		return msg
	}
	cut := maxErrorMsg
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return msg[:cut] + fmt.Sprintf("…(truncated, %d bytes)", len(msg))
}

// errorBody is the JSON of every error response.
type errorBody struct {
	Error string `json:"error"`
	Param string `json:"param,omitempty"`
}

func writeError(w http.ResponseWriter, e *httpError) {
	if e.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.retryAfter))
	}
	if e.allow != "" {
		w.Header().Set("Allow", e.allow)
	}
	writeJSON(w, e.status, errorBody{Error: bound(e.msg), Param: e.param})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"error":"internal error: encode response"}` + "\n")
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes()) // the client went away: nothing to do
}

// apiFunc serves one /api/v1 endpoint: it returns the value to encode or an error.
type apiFunc func(r *http.Request) (any, error)

// retryAfter is the Retry-After (seconds) of a 503 or 429.
const retryAfter = 5

// onlyGET answers any method but GET and HEAD with a JSON 405.
func onlyGET(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			writeError(w, &httpError{status: http.StatusMethodNotAllowed, allow: "GET, HEAD",
				msg: fmt.Sprintf("method %s is not allowed here: use GET", echo(r.Method))})
			return
		}
		h.ServeHTTP(w, r)
	})
}

// apiHandler serves f under the request timeout (CSAT_API_REQUEST_TIMEOUT). f runs in a
// goroutine of the server's (Serve waits for it), so that a request is answered by the
// deadline even when a read does not return then (a stalled connection that ignores its
// context): 503 with Retry-After.
func (s *Server) apiHandler(f apiFunc) http.Handler {
	return onlyGET(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
		defer cancel()
		r = r.WithContext(ctx)
		type result struct {
			v   any
			err error
		}
		done := make(chan result, 1)
		s.reads.Add(1)
		go func() {
			defer s.reads.Done()
			defer func() {
				if p := recover(); p != nil {
					s.log.Error("handler panic", "path", r.URL.Path, "panic", fmt.Sprint(p))
					done <- result{err: &httpError{status: http.StatusInternalServerError, msg: "internal error"}}
				}
			}()
			v, err := f(r)
			done <- result{v, err}
		}()
		select {
		case res := <-done:
			if res.err != nil {
				writeError(w, s.classify(r, res.err))
				return
			}
			if d, ok := res.v.(download); ok {
				d.serve(w)
				return
			}
			writeJSON(w, http.StatusOK, res.v)
		case <-ctx.Done():
			s.log.Warn("read not answered within the request timeout", "path", r.URL.Path, "timeout", s.cfg.RequestTimeout)
			writeError(w, &httpError{status: http.StatusServiceUnavailable, retryAfter: retryAfter,
				msg: fmt.Sprintf("not answered within %s (CSAT_API_REQUEST_TIMEOUT); retry later", s.cfg.RequestTimeout)})
		}
	}))
}

// classify maps an error to its response: ours as they are; a parameter error
// (*aggregate.ParamError, and a bare aggregate.ErrUnknownBranch) 400 naming the parameter;
// ClickHouse unavailable, stalled or timing out (aggregate.Unavailable), or the request's
// deadline passed, 503 with Retry-After; anything else 500 (logged; the client sees no
// internals).
func (s *Server) classify(r *http.Request, err error) *httpError {
	var he *httpError
	if errors.As(err, &he) {
		return he
	}
	var pe *aggregate.ParamError
	if errors.As(err, &pe) {
		return &httpError{status: http.StatusBadRequest, param: pe.Param, msg: pe.Msg}
	}
	if errors.Is(err, aggregate.ErrUnknownBranch) {
		param := "branch"
		if r.URL.Path == "/api/v1/compare" || r.URL.Path == "/api/v1/funnel" {
			param = "parent"
		}
		return &httpError{status: http.StatusBadRequest, param: param, msg: err.Error()}
	}
	if r.Context().Err() != nil || aggregate.Unavailable(err) {
		s.log.Warn("read unavailable", "path", r.URL.Path, "err", err)
		return &httpError{status: http.StatusServiceUnavailable, retryAfter: retryAfter,
			msg: "the KPI store is unavailable or too slow; retry later"}
	}
	s.log.Error("read failed", "path", r.URL.Path, "err", err)
	return &httpError{status: http.StatusInternalServerError, msg: "internal error"}
}

func query(r *http.Request, name string) (string, error) {
	vs := r.URL.Query()[name]
	switch {
	case len(vs) > 1:
		return "", badParam(name, "%s given %d times", name, len(vs))
	case len(vs) == 0 || vs[0] == "":
		return "", nil
	}
	return vs[0], nil
}

func required(r *http.Request, name string) (string, error) {
	v, err := query(r, name)
	if err == nil && v == "" {
		err = badParam(name, "%s is required", name)
	}
	return v, err
}

// branchParam reads a branch id (ALL or a valid id), def when absent ("" = required), and
// checks the caller's scope.
func branchParam(r *http.Request, name, def string) (string, error) {
	b, err := query(r, name)
	if err != nil {
		return "", err
	}
	if b == "" {
		if def == "" {
			return "", badParam(name, "%s is required (ALL or a branch id such as GD-GZ)", name)
		}
		b = def
	}
	if b != schema.Root && !schema.ValidBranchID(b) {
		return "", badParam(name, "%s %s: want ALL or a branch id (1–4 segments of [A-Z0-9]{1,16} joined by '-')", name, echo(b))
	}
	if err := authorize(r, b, name); err != nil {
		return "", err
	}
	return b, nil
}

func monthParam(r *http.Request, name string) (schema.Month, error) {
	v, err := required(r, name)
	if err != nil {
		return 0, err
	}
	m, err := schema.ParseMonth(v)
	if err != nil {
		return 0, badParam(name, "%s %s: want YYYY-MM", name, echo(v))
	}
	return m, nil
}

var metricRE = regexp.MustCompile(`^[a-z_]{1,40}(:[a-z0-9_]{1,32})?$`)

func metricParam(r *http.Request) (string, error) {
	v, err := required(r, "metric")
	if err != nil {
		return "", err
	}
	if !metricRE.MatchString(v) {
		return "", badParam("metric", "metric %s: unknown metric name (see the OpenAPI document for the list)", echo(v))
	}
	return v, nil
}

// readerAt returns the reader for the request's optional as_of (RFC 3339): the server's
// reader when absent, else its AsOf view (extension, docs/extensions.md), which refuses a
// moment before the data. release, never nil, gives back the as-of slot the request holds
// (see asOfLimiter): call it when the read is done.
func (s *Server) readerAt(r *http.Request) (rd Reader, release func(), err error) {
	v, err := query(r, "as_of")
	if err != nil || v == "" {
		return s.reader, func() {}, err
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return nil, nil, badParam("as_of", "as_of %s: want an RFC 3339 time such as 2026-11-05T08:00:00+08:00", echo(v))
	}
	ar, ok := s.reader.(AsOfReader)
	if !ok {
		return nil, nil, badParam("as_of", "as_of is not supported by this server")
	}
	if rd, err = ar.AsOf(r.Context(), t); err != nil {
		return nil, nil, err
	}
	if release, err = s.asOf.acquire(r); err != nil {
		return nil, nil, err
	}
	return rd, release, nil
}

func (s *Server) kpi(r *http.Request) (any, error) {
	b, err := branchParam(r, "branch", "")
	if err != nil {
		return nil, err
	}
	m, err := monthParam(r, "month")
	if err != nil {
		return nil, err
	}
	rd, release, err := s.readerAt(r)
	if err != nil {
		return nil, err
	}
	defer release()
	c, err := rd.Card(r.Context(), b, m)
	if err != nil {
		return nil, err
	}
	// The drivers block pools the responses of an ancestor (CSAT_DRIVER_LEVEL): a token scoped
	// below it sees the importance shares, not the pool's statistics (docs/extensions.md §3).
	if c.Drivers != nil && !principalOf(r.Context()).may(c.Drivers.Branch) {
		c.Drivers = c.Drivers.Scoped()
	}
	return c, nil
}

func (s *Server) trend(r *http.Request) (any, error) {
	b, err := branchParam(r, "branch", "")
	if err != nil {
		return nil, err
	}
	metric, err := metricParam(r)
	if err != nil {
		return nil, err
	}
	from, err := monthParam(r, "from")
	if err != nil {
		return nil, err
	}
	to, err := monthParam(r, "to")
	if err != nil {
		return nil, err
	}
	if from > to {
		return nil, badParam("from", "from %s is after to %s", from, to)
	}
	if len(schema.Months(from, to)) > maxTrendMonths {
		return nil, badParam("to", "at most %d months from %s", maxTrendMonths, from)
	}
	return s.reader.Trend(r.Context(), b, metric, from, to)
}

func (s *Server) compare(r *http.Request) (any, error) {
	if pr := principalOf(r.Context()); pr.store() != "" {
		return nil, errStoreScope(pr, "comparisons")
	}
	p, err := branchParam(r, "parent", "")
	if err != nil {
		return nil, err
	}
	m, err := monthParam(r, "month")
	if err != nil {
		return nil, err
	}
	metric, err := metricParam(r)
	if err != nil {
		return nil, err
	}
	return s.reader.Compare(r.Context(), p, m, metric)
}

func (s *Server) alerts(r *http.Request) (any, error) {
	b, err := branchParam(r, "branch", schema.Root)
	if err != nil {
		return nil, err
	}
	m, err := monthParam(r, "month")
	if err != nil {
		return nil, err
	}
	rd, release, err := s.readerAt(r)
	if err != nil {
		return nil, err
	}
	defer release()
	al, err := rd.Alerts(r.Context(), b, m)
	if err != nil {
		return nil, err
	}
	// A store scope reads its branch's own alerts, not those of the branches below it.
	if p := principalOf(r.Context()); p.store() != "" {
		al.Alerts = slices.DeleteFunc(al.Alerts, func(a kpi.Alert) bool { return a.Branch != p.scope.Branch })
	}
	return al, nil
}

var periodRE = regexp.MustCompile(`^[0-9A-Za-z_-]{1,32}$`)

func (s *Server) scorecard(r *http.Request) (any, error) {
	b, err := branchParam(r, "branch", "")
	if err != nil {
		return nil, err
	}
	p, err := required(r, "period")
	if err != nil {
		return nil, err
	}
	if !periodRE.MatchString(p) {
		return nil, badParam("period", "period %s: want YYYY-MM, YYYY-Qn or a configured period name", echo(p))
	}
	rd, release, err := s.readerAt(r)
	if err != nil {
		return nil, err
	}
	defer release()
	return rd.Scorecard(r.Context(), b, p)
}

// funnel serves a funnel plot of complaint_rate or churn_rate over the children of parent.
func (s *Server) funnel(r *http.Request) (any, error) {
	fr, ok := s.reader.(FunnelReader)
	if !ok {
		return nil, &httpError{status: http.StatusNotFound, msg: "funnel plots are not supported by this server"}
	}
	if pr := principalOf(r.Context()); pr.store() != "" {
		return nil, errStoreScope(pr, "funnel plots (a comparison of branches)")
	}
	p, err := branchParam(r, "parent", "")
	if err != nil {
		return nil, err
	}
	m, err := monthParam(r, "month")
	if err != nil {
		return nil, err
	}
	metric, err := query(r, "metric")
	if err != nil {
		return nil, err
	}
	switch metric {
	case "":
		metric = "complaint_rate"
	case "complaint_rate", "churn_rate":
	default:
		return nil, badParam("metric", "metric %s: want complaint_rate or churn_rate", echo(metric))
	}
	return fr.Funnel(r.Context(), p, m, metric)
}

// branchList is the JSON of /api/v1/branches.
type branchList struct {
	Scope    string   `json:"scope"`
	Branches []Branch `json:"branches"`
}

// branches lists the known branches in the caller's scope: its subtree, nothing above it.
func (s *Server) branches(r *http.Request) (any, error) {
	all, err := s.reader.Branches(r.Context())
	if err != nil {
		return nil, err
	}
	p := principalOf(r.Context())
	out := branchList{Scope: p.scope.String(), Branches: []Branch{}}
	for _, b := range all {
		if p.may(b.ID) {
			out.Branches = append(out.Branches, b)
		}
	}
	return out, nil
}

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	_, _ = w.Write(openAPIDoc)
}
