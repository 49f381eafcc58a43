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
	"time"

	"github.com/csat-dev/csat/schema"
)

// maxTrendMonths bounds a trend request (ten years), so one request cannot ask for centuries.
const maxTrendMonths = 120

//go:embed openapi.json
var openAPIDoc []byte

// httpError is an error answered with its status and {"error", "param"}.
type httpError struct {
	status int
	param  string
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func badParam(param, format string, args ...any) error {
	return &httpError{status: http.StatusBadRequest, param: param, msg: fmt.Sprintf(format, args...)}
}

// errorBody is the JSON of every error response.
type errorBody struct {
	Error string `json:"error"`
	Param string `json:"param,omitempty"`
}

func writeError(w http.ResponseWriter, e *httpError) {
	writeJSON(w, e.status, errorBody{Error: e.msg, Param: e.param})
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

// readTimeout bounds one API request's reads: a request that outlives it (ClickHouse stuck)
// is answered 503 instead of holding a connection until the write timeout.
const readTimeout = 60 * time.Second

func (s *Server) apiHandler(f apiFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), readTimeout)
		defer cancel()
		r = r.WithContext(ctx)
		v, err := f(r)
		if err != nil {
			writeError(w, s.classify(r, err))
			return
		}
		writeJSON(w, http.StatusOK, v)
	})
}

// classify maps an error to its response: ours as they are, a Reader's parameter errors
// (*ParamError, ErrUnknownBranch) to 400,
// anything else to 500 (logged; the client sees no internals).
func (s *Server) classify(r *http.Request, err error) *httpError {
	var he *httpError
	if errors.As(err, &he) {
		return he
	}
	var pe *ParamError
	if errors.As(err, &pe) {
		return &httpError{status: http.StatusBadRequest, param: pe.Param, msg: pe.Error()}
	}
	if errors.Is(err, ErrUnknownBranch) {
		param := "branch"
		if r.URL.Path == "/api/v1/compare" || r.URL.Path == "/api/v1/funnel" {
			param = "parent"
		}
		return &httpError{status: http.StatusBadRequest, param: param, msg: err.Error()}
	}
	if r.Context().Err() != nil {
		s.log.Warn("read cancelled", "path", r.URL.Path, "err", err)
		return &httpError{status: http.StatusServiceUnavailable, msg: "request cancelled or timed out"}
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
		return "", badParam(name, "%s %q: want ALL or a branch id (1–4 segments of [A-Z0-9]{1,16} joined by '-')", name, b)
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
		return 0, badParam(name, "%s %q: want YYYY-MM", name, v)
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
		return "", badParam("metric", "metric %q: unknown metric name (see the OpenAPI document for the list)", v)
	}
	return v, nil
}

// readerAt returns the reader for the request's optional as_of (RFC 3339): the server's
// reader when absent, else its AsOf view (extension, docs/extensions.md).
func (s *Server) readerAt(r *http.Request) (Reader, error) {
	v, err := query(r, "as_of")
	if err != nil || v == "" {
		return s.reader, err
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return nil, badParam("as_of", "as_of %q: want an RFC 3339 time such as 2026-11-05T08:00:00+08:00", v)
	}
	ar, ok := s.reader.(AsOfReader)
	if !ok {
		return nil, badParam("as_of", "as_of is not supported by this server")
	}
	return ar.AsOf(t), nil
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
	rd, err := s.readerAt(r)
	if err != nil {
		return nil, err
	}
	return rd.Card(r.Context(), b, m)
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
	rd, err := s.readerAt(r)
	if err != nil {
		return nil, err
	}
	return rd.Alerts(r.Context(), b, m)
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
		return nil, badParam("period", "period %q: want YYYY-MM, YYYY-Qn or a configured period name", p)
	}
	rd, err := s.readerAt(r)
	if err != nil {
		return nil, err
	}
	return rd.Scorecard(r.Context(), b, p)
}

// funnel serves a funnel plot of complaint_rate or churn_rate over the children of parent.
func (s *Server) funnel(r *http.Request) (any, error) {
	fr, ok := s.reader.(FunnelReader)
	if !ok {
		return nil, &httpError{status: http.StatusNotFound, msg: "funnel plots are not supported by this server"}
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
		return nil, badParam("metric", "metric %q: want complaint_rate or churn_rate", metric)
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
	out := branchList{Scope: p.scope, Branches: []Branch{}}
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
