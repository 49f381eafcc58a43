package api

import (
	"bytes"
	"context"
	"fmt"
	"net/http"

	"github.com/csat-dev/csat/aggregate/export"
)

// download is an endpoint's result asked for as a file (?format=csv or xlsx): apiHandler
// writes it as an attachment instead of JSON.
type download struct {
	table  export.Table
	format string
}

func (d download) serve(w http.ResponseWriter) {
	var buf bytes.Buffer
	if err := d.table.Write(&buf, d.format); err != nil {
		writeError(w, &httpError{status: http.StatusInternalServerError, msg: "internal error: write " + d.format})
		return
	}
	h := w.Header()
	h.Set("Content-Type", export.ContentType(d.format))
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.%s"`, d.table.Name, d.format))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes()) // the client went away: nothing to do
}

// exportable serves f's result as JSON, or with ?format=csv|xlsx as a table to download
// (compare, alerts, scorecard: the same tables as the CLI's --csv and --xlsx).
func (s *Server) exportable(f apiFunc) apiFunc {
	return func(r *http.Request) (any, error) {
		format, err := query(r, "format")
		if err != nil {
			return nil, err
		}
		switch format {
		case "", "json":
			return f(r)
		case "csv", "xlsx":
		default:
			return nil, badParam("format", "format %q: want json, csv or xlsx", format)
		}
		v, err := f(r)
		if err != nil {
			return nil, err
		}
		names := s.branchNames(r.Context())
		t, ok := export.Of(v, names)
		if !ok {
			return nil, badParam("format", "format %s is not available for %s", format, r.URL.Path)
		}
		return download{table: t, format: format}, nil
	}
}

// branchNames returns the names of the known branches (none when they cannot be read: a file
// without names is still a file).
func (s *Server) branchNames(ctx context.Context) export.Names {
	bs, err := s.reader.Branches(ctx)
	if err != nil {
		s.log.Warn("branch names for an export", "err", err)
		return nil
	}
	m := make(map[string]string, len(bs))
	for _, b := range bs {
		m[b.ID] = b.Name
	}
	return func(id string) string { return m[id] }
}
