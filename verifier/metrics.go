package verifier

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/zkcred/zkcred/did/fetch"
)

// The metrics [Verifier.Handler] records when [Config.Metrics] is set
// (Prometheus names; the "zkcred_verifier_" prefix is part of each):
//
//	zkcred_verifier_requests_total{endpoint, outcome, code}
//	    requests the handler answered; endpoint is create_request,
//	    get_request, presentation, openid4vp_request_object,
//	    openid4vp_response or other; outcome is ok, refused (the client's
//	    fault, 4xx) or error (the server's, 5xx); code is the
//	    [ErrorCode] code of a refusal or error, empty when ok
//	zkcred_verifier_verification_duration_seconds{outcome}
//	    time to check a presentation (POST /requests/{id}/presentations)
//	    or an OpenID4VP response, by outcome (accepted, refused, error)
//	zkcred_verifier_store_errors_total
//	    errors wrapping [ErrStore] seen by the handler and [Verifier.Ready]
type metrics struct {
	requests    *prometheus.CounterVec
	verifyTime  *prometheus.HistogramVec
	storeErrors prometheus.Counter
}

// newMetrics creates the collectors and registers them with reg (nil: not
// registered, they count for nobody).
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "zkcred_verifier_requests_total",
			Help: "Requests answered by the verifier's handler, by endpoint, outcome (ok, refused, error) and error code.",
		}, []string{"endpoint", "outcome", "code"}),
		verifyTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "zkcred_verifier_verification_duration_seconds",
			Help:    "Time to check one presentation or OpenID4VP response, by outcome (accepted, refused, error).",
			Buckets: []float64{.001, .002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"outcome"}),
		storeErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "zkcred_verifier_store_errors_total",
			Help: "Store errors (the nonce, nullifier and floor store could not be read or written).",
		}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.requests, m.verifyTime, m.storeErrors} {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("verifier: config: Metrics: %w", err)
			}
		}
	}
	return m, nil
}

// outcome classifies an HTTP status.
func outcome(status int) string {
	switch {
	case status >= 500:
		return "error"
	case status >= 400:
		return "refused"
	}
	return "ok"
}

// observe records one answered request and logs a refusal once (info; warn
// when an issuer's service did not answer) or a server-side failure
// (error; warn when a dependency did not answer and the client may retry). The log line carries the request id, the
// method, path, status and code, and the error, whose text names no
// attribute value, secret or proof (the verifier never sees attribute
// values it was not shown, and errors never quote presentations).
func (v *Verifier) observe(r *http.Request, endpoint string, status int, code string, err error) {
	v.metrics.requests.WithLabelValues(endpoint, outcome(status), code).Inc()
	if err == nil {
		return
	}
	if errors.Is(err, ErrStore) {
		v.metrics.storeErrors.Inc()
	}
	args := []any{"request_id", requestID(r), "method", r.Method, "path", r.URL.Path, "status", status, "code", code, "err", err}
	switch {
	case status >= 500 && errors.Is(err, ErrUnavailable) && !errors.Is(err, ErrStore):
		// A dependency (an issuer's DID document or revocation root)
		// did not answer: the client may retry.
		v.cfg.Logger.WarnContext(r.Context(), "verifier: could not check now", args...)
		return
	case status >= 500:
		v.cfg.Logger.ErrorContext(r.Context(), "verifier: request failed", args...)
		return
	case errors.Is(err, fetch.ErrFetch):
		// Refused (e.g. stale_root: no fresh revocation root), because an
		// issuer's service did not answer: the operator needs to know.
		v.cfg.Logger.WarnContext(r.Context(), "verifier: request refused: an issuer's service did not answer", args...)
		return
	}
	v.cfg.Logger.InfoContext(r.Context(), "verifier: request refused", args...)
}

// timeVerification records the duration of one check since start.
func (v *Verifier) timeVerification(start time.Time, err error) {
	o := "accepted"
	if err != nil {
		o = "refused"
		if status, _ := ErrorCode(err); status >= 500 {
			o = "error"
		}
	}
	v.metrics.verifyTime.WithLabelValues(o).Observe(time.Since(start).Seconds())
}

// Ready reports whether the verifier can verify now: its key is loaded (it
// is, once [New] returned) and its store answers a read (the revocation
// floor of a fixed probe name). The error wraps [ErrStore] when the store
// does not answer; it is logged at error level and counted in
// zkcred_verifier_store_errors_total. Serve it as a readiness probe.
func (v *Verifier) Ready(ctx context.Context) error {
	if _, err := v.cfg.Store.RootFloor(ctx, "did:example:zkcred-readiness-probe"); err != nil {
		if !errors.Is(err, ErrStore) {
			err = fmt.Errorf("%w: %w", ErrStore, err)
		}
		v.metrics.storeErrors.Inc()
		v.cfg.Logger.ErrorContext(ctx, "verifier: store unreachable", "err", err)
		return err
	}
	return nil
}

// requestIDHeader is the request id header the example servers set (and
// any proxy may): a well-formed one is logged as is.
const requestIDHeader = "X-Request-Id"

// requestID returns r's X-Request-Id when well formed (1 to 64 of
// [A-Za-z0-9._-]), else a fresh random id, which it also stores in r's
// header so that every line about r carries the same one.
func requestID(r *http.Request) string {
	id := r.Header.Get(requestIDHeader)
	ok := id != "" && len(id) <= 64
	for i := 0; ok && i < len(id); i++ {
		c := id[i]
		ok = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-'
	}
	if ok {
		return id
	}
	var b [8]byte
	rand.Read(b[:])
	id = hex.EncodeToString(b[:])
	r.Header.Set(requestIDHeader, id)
	return id
}
