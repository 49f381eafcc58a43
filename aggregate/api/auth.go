package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/csat-dev/csat/schema"
)

// TokenEntry is one entry of the tokens file (CSAT_API_TOKENS_FILE), a YAML list:
//
//	# tokens.yaml
//	- name: gd-sz-service-desk
//	  sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
//	  scope: GD-SZ
//
// SHA256 is the lowercase hex SHA-256 of the token; Scope is the branch (ALL or a branch id)
// whose subtree the token may read, or a store of a branch, <branch>/store:<id> (SPEC §5.5):
// that branch's own card, trend, alerts and scorecard, the store's card and its staff, for the
// periods in which the store belongs to that branch; no comparison or ranking of other units.
type TokenEntry struct {
	Name   string `yaml:"name" json:"name"`
	SHA256 string `yaml:"sha256" json:"sha256"`
	Scope  string `yaml:"scope" json:"scope"`
}

// tokenPrefix marks csat tokens, so a leaked one is recognisable in a scan.
const tokenPrefix = "csat_"

// NewToken makes a random token (32 bytes from crypto/rand) and its tokens-file entry: the
// token is shown once, only its hash is stored. scope is ALL, a branch id or
// <branch>/store:<id>.
func NewToken(name, scope string) (token string, entry TokenEntry, err error) {
	entry = TokenEntry{Name: name, Scope: scope}
	if err := entry.validate(); err != nil && !errors.Is(err, errNoHash) {
		return "", TokenEntry{}, err
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", TokenEntry{}, fmt.Errorf("read random token: %w", err)
	}
	token = tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(token))
	entry.SHA256 = hex.EncodeToString(sum[:])
	return token, entry, nil
}

// YAML returns the entry as one item of the tokens file's list.
func (e TokenEntry) YAML() string {
	return fmt.Sprintf("- name: %q\n  sha256: %s\n  scope: %q\n", e.Name, e.SHA256, e.Scope)
}

var errNoHash = errors.New("sha256: want 64 hex digits")

func (e TokenEntry) validate() error {
	if strings.TrimSpace(e.Name) == "" {
		return errors.New("name: empty")
	}
	if _, err := ParseScope(e.Scope); err != nil {
		return err
	}
	if b, err := hex.DecodeString(e.SHA256); err != nil || len(b) != sha256.Size {
		return errNoHash
	}
	return nil
}

// tokenSet holds the hashes of the configured tokens; nil means the API is open.
type tokenSet struct {
	entries []TokenEntry
	hashes  [][]byte
}

// LoadTokens reads and checks a tokens file. It is what New does with CSAT_API_TOKENS_FILE;
// cmd/csat may call it to check a file.
func LoadTokens(path string) ([]TokenEntry, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("CSAT_API_TOKENS_FILE: %w", err)
	}
	var entries []TokenEntry
	if err := yaml.Unmarshal(b, &entries); err != nil {
		return nil, fmt.Errorf("CSAT_API_TOKENS_FILE %s: %w", path, err)
	}
	seen := map[string]bool{}
	for i, e := range entries {
		e.SHA256 = strings.ToLower(e.SHA256)
		entries[i] = e
		if err := e.validate(); err != nil {
			return nil, fmt.Errorf("CSAT_API_TOKENS_FILE %s: entry %d (%q): %w", path, i+1, e.Name, err)
		}
		if seen[e.SHA256] {
			return nil, fmt.Errorf("CSAT_API_TOKENS_FILE %s: entry %d (%q): the same token hash is listed twice", path, i+1, e.Name)
		}
		seen[e.SHA256] = true
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("CSAT_API_TOKENS_FILE %s: no tokens (unset the variable to run an open API)", path)
	}
	return entries, nil
}

func newTokenSet(entries []TokenEntry) *tokenSet {
	ts := &tokenSet{entries: entries}
	for _, e := range entries {
		h, _ := hex.DecodeString(e.SHA256) // validated by LoadTokens
		ts.hashes = append(ts.hashes, h)
	}
	return ts
}

// lookup returns the entry of token. It hashes the token and compares the hash with every
// entry in constant time, so neither the token nor which entry matched leaks through timing.
func (ts *tokenSet) lookup(token string) (TokenEntry, bool) {
	sum := sha256.Sum256([]byte(token))
	match := -1
	for i, h := range ts.hashes {
		if subtle.ConstantTimeCompare(sum[:], h) == 1 {
			match = i
		}
	}
	if match < 0 {
		return TokenEntry{}, false
	}
	return ts.entries[match], true
}

// storeScope separates the branch and the store of a store scope: GD-SZ-NS/store:S123.
const storeScope = "/store:"

// Scope is what a token may read: a branch's subtree (Store "") or one store of a branch.
type Scope struct {
	Branch string // ALL or a branch id
	Store  string // a store id, or ""
}

// ParseScope parses a token scope: ALL, a branch id, or <branch>/store:<id> (a branch id and
// a unit id, [A-Za-z0-9_.:-]{1,64}).
func ParseScope(s string) (Scope, error) {
	b, st, isStore := strings.Cut(s, storeScope)
	if !isStore {
		if s != schema.Root && !schema.ValidBranchID(s) {
			return Scope{}, fmt.Errorf("scope %q: want ALL, a branch id (GD-SZ) or a store of a branch (GD-SZ-NS/store:S123)", s)
		}
		return Scope{Branch: s}, nil
	}
	if !schema.ValidBranchID(b) {
		return Scope{}, fmt.Errorf("scope %q: %q is not a branch id (a store scope is <branch>/store:<id>)", s, b)
	}
	if !schema.ValidUnitID(st) {
		return Scope{}, fmt.Errorf("scope %q: %q is not a store id ([A-Za-z0-9_.:-]{1,64})", s, st)
	}
	return Scope{Branch: b, Store: st}, nil
}

func (s Scope) String() string {
	if s.Store != "" {
		return s.Branch + storeScope + s.Store
	}
	return s.Branch
}

// principal is who is asking: the token's name and scope (ALL on an open API).
type principal struct {
	name  string
	scope Scope
}

type principalKey struct{}

func principalOf(ctx context.Context) principal {
	if p, ok := ctx.Value(principalKey{}).(principal); ok {
		return p
	}
	return principal{scope: Scope{Branch: schema.Root}}
}

// may reports whether the principal may read branch's aggregates: a branch in its subtree, or
// for a store scope, its branch only.
func (p principal) may(branch string) bool {
	if p.scope.Store != "" {
		return branch == p.scope.Branch
	}
	return schema.InSubtree(branch, p.scope.Branch)
}

// all reports whether the principal reads everything (scope ALL).
func (p principal) all() bool { return p.scope == Scope{Branch: schema.Root} }

// store returns the store of a store scope, or "".
func (p principal) store() string { return p.scope.Store }

// authenticate wraps h: with tokens configured it requires a valid bearer token (else 401) and
// puts its principal in the request context.
func (s *Server) authenticate(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.tokens == nil {
			h.ServeHTTP(w, r)
			return
		}
		auth := r.Header.Get("Authorization")
		scheme, token, ok := strings.Cut(auth, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="csat"`)
			writeError(w, &httpError{status: http.StatusUnauthorized, msg: "missing bearer token (Authorization: Bearer <token>)"})
			return
		}
		e, ok := s.tokens.lookup(strings.TrimSpace(token))
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="csat", error="invalid_token"`)
			writeError(w, &httpError{status: http.StatusUnauthorized, msg: "invalid token"})
			return
		}
		sc, _ := ParseScope(e.Scope) // validated by LoadTokens
		ctx := context.WithValue(r.Context(), principalKey{}, principal{name: e.Name, scope: sc})
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}

// authorize returns a 403 error when the request's principal may not read branch.
func authorize(r *http.Request, branch, param string) error {
	p := principalOf(r.Context())
	if p.may(branch) {
		return nil
	}
	return &httpError{status: http.StatusForbidden, param: param,
		msg: fmt.Sprintf("branch %s is outside this token's scope (%s)", branch, p.scope)}
}
