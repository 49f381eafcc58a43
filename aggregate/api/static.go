package api

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

// web holds the dashboard: index.html, app.js, app.css and vendor/ (Apache ECharts' release
// file with its licence, copied from web/node_modules by `npm run vendor` in /web).
//
//go:embed web
var webFS embed.FS

// asset is one embedded file, ready to serve: its bytes, their gzip form (nil when gzip does
// not make it smaller), a strong ETag and the content type.
type asset struct {
	raw, gz     []byte
	etag        string
	contentType string
}

// assets serves the embedded dashboard. Files are compressed once, at start; a client that
// accepts gzip gets the compressed bytes. Every response carries an ETag and "no-cache", so a
// browser revalidates (304) instead of downloading again.
type assets struct {
	files map[string]*asset
}

func loadAssets() (*assets, error) {
	a := &assets{files: map[string]*asset{}}
	err := fs.WalkDir(webFS, "web", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := webFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(raw)
		f := &asset{raw: raw, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
		f.contentType = mime.TypeByExtension(path.Ext(p))
		if f.contentType == "" {
			f.contentType = http.DetectContentType(raw)
		}
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // the level is valid
		if _, err := zw.Write(raw); err != nil {
			return err
		}
		if err := zw.Close(); err != nil {
			return err
		}
		if buf.Len() < len(raw) {
			f.gz = buf.Bytes()
		}
		a.files[strings.TrimPrefix(p, "web/")] = f
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load embedded dashboard: %w", err)
	}
	if a.files["index.html"] == nil {
		return nil, fmt.Errorf("load embedded dashboard: index.html missing")
	}
	return a, nil
}

func (a *assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
	if name == "" {
		name = "index.html"
	}
	f := a.files[name]
	if f == nil {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("ETag", f.etag)
	h.Set("Cache-Control", "no-cache")
	h.Set("Vary", "Accept-Encoding")
	h.Set("X-Content-Type-Options", "nosniff")
	if name == "index.html" {
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
		h.Set("X-Frame-Options", "DENY")
	}
	if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, f.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := f.raw
	if f.gz != nil && acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		body = f.gz
	}
	h.Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.ReplaceAll(strings.TrimSpace(q), " ", "") != "q=0" {
			return true
		}
	}
	return false
}
