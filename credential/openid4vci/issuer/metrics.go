package issuer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	bolt "go.etcd.io/bbolt"

	"github.com/zkcred/zkcred/credential/openid4vci"
)

// The metrics [Issuer.Handler] records when [Config.Metrics] is set:
//
//	zkcred_issuer_requests_total{endpoint, outcome, code}
//	    requests answered; endpoint is issuer_metadata, as_metadata,
//	    offer, token, nonce or credential; outcome is ok, refused (4xx)
//	    or error (5xx); code is the OAuth/OpenID4VCI error code, empty
//	    when ok
//	zkcred_issuer_issuance_duration_seconds{outcome}
//	    time to issue one credential at the credential endpoint (checks,
//	    register, signatures, revocation id, state), by outcome (issued,
//	    refused, error)
//	zkcred_issuer_store_errors_total
//	    errors of the issuer's state store or register (wrapping
//	    [openid4vci.ErrStore]) seen by the handler and [Issuer.Ready]
type issuerMetrics struct {
	requests    *prometheus.CounterVec
	issueTime   *prometheus.HistogramVec
	storeErrors prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*issuerMetrics, error) {
	m := &issuerMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "zkcred_issuer_requests_total",
			Help: "Requests answered by the OpenID4VCI issuer's handler, by endpoint, outcome (ok, refused, error) and error code.",
		}, []string{"endpoint", "outcome", "code"}),
		issueTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "zkcred_issuer_issuance_duration_seconds",
			Help:    "Time to issue one credential at the credential endpoint, by outcome (issued, refused, error).",
			Buckets: []float64{.002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"outcome"}),
		storeErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "zkcred_issuer_store_errors_total",
			Help: "Errors of the issuer's state store or register.",
		}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.requests, m.issueTime, m.storeErrors} {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("%w: Metrics: %w", openid4vci.ErrConfig, err)
			}
		}
	}
	return m, nil
}

// recorder captures the status of a response and the error code [fail]
// wrote.
type recorder struct {
	http.ResponseWriter
	status int
	code   string
}

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// instrument counts f's answers as endpoint.
func (is *Issuer) instrument(endpoint string, f http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rec := &recorder{ResponseWriter: w}
		f(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		o := "ok"
		switch {
		case rec.status >= 500:
			o = "error"
		case rec.status >= 400:
			o = "refused"
			if rec.code == "" {
				rec.code = "not_found"
			}
		}
		is.metrics.requests.WithLabelValues(endpoint, o, rec.code).Inc()
	}
}

// timeIssuance records one issuance's duration since start.
func (is *Issuer) timeIssuance(start time.Time, err error) {
	o := "issued"
	if err != nil {
		o = "refused"
		if _, st := wireError(err); st >= 500 {
			o = "error"
		}
	}
	is.metrics.issueTime.WithLabelValues(o).Observe(time.Since(start).Seconds())
}

// pinger is a [Register] that can tell whether it is reachable
// ([PostgresRegister]).
type pinger interface {
	Ping(ctx context.Context) error
}

// Ready reports whether the issuer can issue now: its state store answers
// a read and its register, if it can tell ([PostgresRegister] can),
// answers a ping. The error wraps [openid4vci.ErrStore]; it is logged at
// error level and counted in zkcred_issuer_store_errors_total. Serve it as
// a readiness probe.
func (is *Issuer) Ready(ctx context.Context) error {
	err := is.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketMeta) == nil {
			return errors.New("no metadata bucket")
		}
		return nil
	})
	if err != nil {
		err = fmt.Errorf("%w: state store: %w", openid4vci.ErrStore, err)
	} else if p, ok := is.cfg.Register.(pinger); ok {
		if perr := p.Ping(ctx); perr != nil {
			err = fmt.Errorf("%w: register: %w", openid4vci.ErrStore, perr)
		}
	}
	if err != nil {
		is.metrics.storeErrors.Inc()
		is.log.ErrorContext(ctx, "openid4vci: not ready", "err", err)
	}
	return err
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
