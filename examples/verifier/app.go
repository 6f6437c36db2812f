package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/did/fetch"
	"github.com/zkcred/zkcred/did/strictjson"
	"github.com/zkcred/zkcred/verifier"
	"github.com/zkcred/zkcred/verifier/protocol"
)

//go:embed web
var webFiles embed.FS

// httpRoots is a verifier.RootSource that fetches a trusted issuer's
// signed revocation root from URL/revocation/root, under the library's
// outbound policy (did/fetch: https and public addresses only, redirects
// to the same host only; -insecure-local lifts the first two). The
// verifier checks the root's signature and age itself.
type httpRoots struct {
	urls   map[string]string // issuer DID → base URL
	client *fetch.Client
	logger *slog.Logger
}

// maxRoot bounds a signed root (a compact JWS of a few hundred bytes).
const maxRoot = 16 << 10

func newHTTPRoots(insecureLocal bool, logger *slog.Logger) (*httpRoots, error) {
	c, err := fetch.New(&fetch.Config{
		Timeout: 10 * time.Second, MaxBytes: maxRoot,
		InsecureAllowHTTP: insecureLocal, InsecureAllowPrivateAddresses: insecureLocal,
	})
	if err != nil {
		return nil, err
	}
	return &httpRoots{urls: map[string]string{}, client: c, logger: logger}, nil
}

func (h *httpRoots) dids() []string {
	var out []string
	for d := range h.urls {
		out = append(out, d)
	}
	slices.Sort(out)
	return out
}

// SignedRoot implements verifier.RootSource.
func (h *httpRoots) SignedRoot(ctx context.Context, issuer string) (string, error) {
	base, ok := h.urls[issuer]
	if !ok {
		return "", fmt.Errorf("no URL configured for issuer %s", issuer)
	}
	res, err := h.client.Get(ctx, base+"/revocation/root", "")
	if err != nil {
		return "", err
	}
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s/revocation/root: %s", base, res.Status)
	}
	return string(bytes.TrimSpace(res.Body)), nil
}

// maxOutcomes bounds the requests whose outcomes are kept in memory, and
// maxAttempts the refusals kept per request (an acceptance is kept beyond
// them).
const (
	maxOutcomes = 10000
	maxAttempts = 20
	maxWait     = 20 * time.Second
)

// attempt is one answer to a request as the page shows it.
type attempt struct {
	At     time.Time           `json:"at"`
	Status int                 `json:"status"`
	Result json.RawMessage     `json:"result,omitempty"` // verifier.Result when accepted
	Error  *verifier.ErrorBody `json:"error,omitempty"`
	// Reason is the catalog reason of a refusal when more is known than
	// Error.Code (reasonOf); empty: from the code.
	Reason string `json:"reason,omitempty"`
	// Clerk is the attempt in words, in the language of the request that
	// reads it (set on output).
	Clerk *clerkView `json:"clerk,omitempty"`
}

type outcome struct {
	created  time.Time
	attempts []attempt
	// key is the secret the outcome is read with (the X-Outcome-Key
	// header; zkcred's own and OpenID4VP requests alike): the request id
	// is in the QR code anyone at the counter can see, and the outcome
	// holds the disclosed values and the nullifier.
	key string
}

// app is the verifier's HTTP front: verifier.Handler, the page, and the
// in-memory outcomes the page shows (per process: with several instances
// behind a load balancer, the page sees only its own instance's answers).
type app struct {
	v        *verifier.Verifier
	schema   *credential.Schema
	oidErr   error // why OpenID4VP is off (no -base-url, no -insecure-local)
	api      http.Handler
	config   []byte
	logger   *slog.Logger
	mu       sync.Mutex
	outcomes map[string]*outcome
	changed  chan struct{} // closed and replaced when an attempt is recorded
}

// pageConfig is what the page needs to build policies.
type pageConfig struct {
	Issuers []string           `json:"issuers"`
	Schema  protocol.SchemaRef `json:"schema"`
	Key     string             `json:"key"`
	// ClientID is the verifier's DID (OpenID4VP client), empty when off.
	ClientID string `json:"clientId,omitempty"`
}

func newApp(v *verifier.Verifier, schema *credential.Schema, issuers []string, key, clientDID string, logger *slog.Logger) *app {
	cfg, _ := json.Marshal(pageConfig{Issuers: issuers, Schema: protocol.SchemaRef{Name: schema.Name, Version: schema.Version}, Key: key, ClientID: clientDID})
	return &app{v: v, schema: schema, api: v.Handler(), config: cfg, logger: logger, outcomes: map[string]*outcome{}, changed: make(chan struct{})}
}

func (a *app) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", a.api)
	mux.HandleFunc("POST /requests", a.createRequest)
	mux.HandleFunc("POST /requests/{id}/presentations", a.recordPresentation)
	mux.HandleFunc("GET /requests/{id}/outcome", a.getOutcome)
	mux.HandleFunc("POST /openid4vp/create", a.createOpenID4VP)
	mux.HandleFunc("GET /openid4vp/requests/{id}/outcome", a.getOutcome)
	mux.HandleFunc("GET /{$}", a.page)
	mux.HandleFunc("GET /messages.json", func(w http.ResponseWriter, r *http.Request) {
		c := catalogFor(r)
		w.Header().Set("Vary", "Accept-Language")
		w.Header().Set("Content-Language", c.tag.String())
		writeJSON(w, http.StatusOK, c.msgs)
	})
	mux.HandleFunc("GET /app.js", a.static("web/app.js", "text/javascript; charset=utf-8"))
	mux.HandleFunc("GET /app.css", a.static("web/app.css", "text/css; charset=utf-8"))
	mux.HandleFunc("GET /qr.svg", a.serveQR)
	mux.HandleFunc("GET /config.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(a.config)
	})
	return http.MaxBytesHandler(mux, verifier.MaxHTTPBody)
}

// pageTemplate is web/index.html: its text comes from the catalog of the
// language the browser prefers.
var pageTemplate = template.Must(template.ParseFS(webFiles, "web/index.html"))

// page serves the clerk's page in the language of the Accept-Language
// header (English when it names none the page speaks).
func (a *app) page(w http.ResponseWriter, r *http.Request) {
	c := catalogFor(r)
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, map[string]any{"Lang": c.tag.String(), "T": c.msgs}); err != nil {
		a.logger.Error("verifier: rendering the page", "err", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", c.tag.String())
	h.Set("Vary", "Accept-Language")
	h.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-cache")
	w.Write(buf.Bytes())
}

func (a *app) static(name, contentType string) http.HandlerFunc {
	b, err := webFiles.ReadFile(name)
	if err != nil {
		panic("verifier: internal error: " + err.Error()) // embedded at build time
	}
	return func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", contentType)
		h.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-cache")
		w.Write(b)
	}
}

// recorder keeps the status and (bounded) body of a response.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(code int) { r.status = code; r.ResponseWriter.WriteHeader(code) }
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	if r.body.Len() < 64<<10 {
		r.body.Write(b)
	}
	return r.ResponseWriter.Write(b)
}

// buffered holds a response of verifier.Handler for createRequest to
// complete before it is sent.
type buffered struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *buffered) Header() http.Header { return b.header }
func (b *buffered) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}
func (b *buffered) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

// createRequest passes POST /requests to verifier.Handler and, when it
// creates a request, registers its outcome and returns the key that reads
// it in the X-Outcome-Key header ([outcome]: the id alone, in the QR
// code, does not read it).
func (a *app) createRequest(w http.ResponseWriter, r *http.Request) {
	b := &buffered{header: http.Header{}}
	a.api.ServeHTTP(b, r)
	if b.status == http.StatusCreated {
		var created struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(b.body.Bytes(), &created); err != nil || created.ID == "" {
			// verifier.Handler answered 201 with no request id: a bug.
			a.fail(w, r, fmt.Errorf("verifier: internal error: created request has no id: %v", err))
			return
		}
		b.header.Set(outcomeKeyHeader, a.newOutcomeKey(created.ID, time.Now().UTC()))
	}
	maps.Copy(w.Header(), b.header)
	if b.status == 0 {
		b.status = http.StatusOK
	}
	w.WriteHeader(b.status)
	w.Write(b.body.Bytes())
}

// recordPresentation passes the submission to verifier.Handler and keeps
// the outcome for the page.
func (a *app) recordPresentation(w http.ResponseWriter, r *http.Request) {
	rec := &recorder{ResponseWriter: w}
	a.api.ServeHTTP(rec, r)
	if rec.status == http.StatusNotFound {
		return // no such request: nothing to show
	}
	at := attempt{At: time.Now().UTC(), Status: rec.status}
	if rec.status == http.StatusOK {
		at.Result = bytes.Clone(rec.body.Bytes())
	} else {
		var e verifier.ErrorBody
		if strictjson.Unmarshal(rec.body.Bytes(), &e) != nil {
			e = verifier.ErrorBody{Code: verifier.CodeInternal, Message: http.StatusText(rec.status)}
		}
		at.Error = &e
	}
	a.record(r.PathValue("id"), at)
}

// record keeps an attempt at request id for the page.
func (a *app) record(id string, at attempt) {
	a.mu.Lock()
	defer a.mu.Unlock()
	o := a.outcomes[id]
	if o == nil {
		if len(a.outcomes) >= maxOutcomes {
			a.evictOutcomes(at.At)
		}
		o = &outcome{created: at.At}
		a.outcomes[id] = o
	}
	switch {
	case len(o.attempts) < maxAttempts:
		o.attempts = append(o.attempts, at)
	case at.Status == http.StatusOK && !slices.ContainsFunc(o.attempts, func(x attempt) bool { return x.Status == http.StatusOK }):
		// Full: anyone who saw the QR code can send maxAttempts error
		// responses or junk answers to a pending request; its acceptance
		// must still reach the page. It is kept in one place beyond
		// maxAttempts (a request is accepted at most once): replacing
		// the last refusal left the count as it was, so a page waiting
		// for more than maxAttempts attempts (getOutcome's after) slept
		// on until maxWait and never listed the acceptance.
		o.attempts = append(o.attempts, at)
	}
	close(a.changed)
	a.changed = make(chan struct{})
}

// outcomeKeyHeader carries the key of an outcome (see [outcome]): POST
// /openid4vp/create returns it as outcomeKey, POST /requests in this
// header (its body is the request a wallet reads, which has no room for
// it), and GET .../outcome wants it in this header.
const outcomeKeyHeader = "X-Outcome-Key"

// newOutcomeKey registers a request's outcome and returns the key that
// reads it.
func (a *app) newOutcomeKey(id string, now time.Time) string {
	var b [16]byte
	rand.Read(b[:])
	key := base64.RawURLEncoding.EncodeToString(b[:])
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.outcomes) >= maxOutcomes {
		a.evictOutcomes(now)
	}
	a.outcomes[id] = &outcome{created: now, key: key}
	return key
}

// outcomeKeyOK reports whether r carries the key of outcome id.
func (a *app) outcomeKeyOK(r *http.Request, id string) bool {
	a.mu.Lock()
	o := a.outcomes[id]
	a.mu.Unlock()
	got := r.Header.Get(outcomeKeyHeader)
	return o != nil && o.key != "" && subtle.ConstantTimeCompare([]byte(got), []byte(o.key)) == 1
}

// maxOutcomeAge is how long an outcome is kept for certain: past it (its
// request expired long before: openid4vp.MaxRequestLifetime is an hour), a full
// table drops it.
const maxOutcomeAge = 2 * time.Hour

// evictOutcomes makes room in the full outcome table (a.mu held): it
// drops the outcomes older than maxOutcomeAge, or, if none is, the
// oldest one. Refusing new outcomes instead would let anyone who fills
// the table (create requests and answer each with junk: both endpoints
// are public) blind the clerk's page for good.
func (a *app) evictOutcomes(now time.Time) {
	var oldest string
	for id, o := range a.outcomes {
		if now.Sub(o.created) > maxOutcomeAge {
			delete(a.outcomes, id)
		} else if oldest == "" || o.created.Before(a.outcomes[oldest].created) {
			oldest = id
		}
	}
	if len(a.outcomes) >= maxOutcomes && oldest != "" {
		delete(a.outcomes, oldest)
		a.logger.Warn("verifier: outcome table full; dropped the oldest outcome (many requests answered within two hours)", "dropped", oldest)
	}
}

// getOutcome returns {"state": "pending"|"accepted"|"rejected"|"expired",
// "expiresAt": unix seconds, "attempts": [...]}, each attempt with its
// clerk's view in the language of the Accept-Language header. With
// ?wait=1&after=N it waits (up to maxWait, and no later than the
// request's expiry, so the page learns at once that its QR code is void)
// until more than N attempts are recorded.
func (a *app) getOutcome(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var expires time.Time
	if strings.HasPrefix(r.URL.Path, verifier.OpenID4VPRequestPath) {
		st, err := a.v.AuthorizationResult(r.Context(), id)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		if !a.outcomeKeyOK(r, id) {
			// As for an unknown id: the id alone (in the QR code) does
			// not show what the holder disclosed.
			a.fail(w, r, fmt.Errorf("%w: no outcome key, or not this request's (%s header)", verifier.ErrUnknownRequest, outcomeKeyHeader))
			return
		}
		expires = st.ExpiresAt
	} else {
		req, err := a.v.Request(r.Context(), id)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		if !a.outcomeKeyOK(r, id) {
			// As for OpenID4VP (above): the id alone does not read it.
			a.fail(w, r, fmt.Errorf("%w: no outcome key, or not this request's (%s header)", verifier.ErrUnknownRequest, outcomeKeyHeader))
			return
		}
		expires = time.Unix(req.ExpiresAt, 0)
	}
	c := catalogFor(r)
	w.Header().Set("Vary", "Accept-Language")
	after, _ := strconv.Atoi(r.URL.Query().Get("after"))
	var timeout <-chan time.Time
	if r.URL.Query().Get("wait") == "1" {
		// Wake up just after the expiry (the clock of the store decides).
		wait := min(maxWait, time.Until(expires)+100*time.Millisecond)
		if wait > 0 {
			t := time.NewTimer(wait)
			defer t.Stop()
			timeout = t.C
		}
	}
	for {
		a.mu.Lock()
		var atts []attempt
		if o := a.outcomes[id]; o != nil {
			atts = slices.Clone(o.attempts)
		}
		changed := a.changed
		a.mu.Unlock()
		if len(atts) > after || timeout == nil {
			state := "pending"
			for i, at := range atts {
				if at.Status == http.StatusOK {
					state = "accepted"
				} else if state == "pending" {
					state = "rejected"
				}
				atts[i].Clerk = c.view(at)
			}
			if state != "accepted" && !time.Now().Before(expires) {
				state = "expired"
			}
			writeJSON(w, http.StatusOK, map[string]any{"state": state, "expiresAt": expires.Unix(), "attempts": atts})
			return
		}
		if outcomeWaitHook != nil {
			outcomeWaitHook(id)
		}
		select {
		case <-changed:
		case <-timeout:
			timeout = nil
		case <-r.Context().Done():
			return
		}
	}
}

// outcomeWaitHook, if set (by tests), is called when an outcome request
// starts waiting.
var outcomeWaitHook func(id string)

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(b)
}

// prune deletes expired requests from the store and old outcomes from
// memory, every minute until ctx ends.
func (a *app) prune(ctx context.Context, store verifier.Store) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if n, err := store.DeleteExpired(ctx, now.Add(-time.Hour)); err != nil {
				a.logger.Warn("verifier: pruning expired requests", "err", err)
			} else if n > 0 {
				a.logger.Info("verifier: pruned expired requests", "count", n)
			}
			a.mu.Lock()
			for id, o := range a.outcomes {
				if now.Sub(o.created) > 24*time.Hour {
					delete(a.outcomes, id)
				}
			}
			a.mu.Unlock()
		}
	}
}
