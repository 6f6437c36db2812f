// Package verifier turns presentation requests and presentations into one
// trusted answer: it ties DID resolution, revocation state, replay
// protection and zero-knowledge proof verification together.
//
// For most uses, create a [Verifier] with [New], issue requests with
// [Verifier.NewRequest] (or POST /requests on [Verifier.Handler]) and check
// answers with [Verifier.Verify]:
//
//	v, _ := verifier.New(verifier.Config{
//		Store: store, Audience: "https://vote.example", Resolver: resolver,
//		Roots: roots, Key: vk, Schemas: []*credential.Schema{schema},
//	})
//	req, _ := v.NewRequest(ctx, protocol.Policy{...})   // send req to the wallet
//	res, err := v.Verify(ctx, req, submission)           // the wallet's answer
//	if errors.Is(err, verifier.ErrDuplicateNullifier) { /* voted already */ }
//
// # Flow
//
// What the verifier and a wallet both speak (the request format
// zkcred-request-v1, its compilation into a zkp statement, the age cutoff,
// the submission format and the wallet's answer) is package
// [github.com/zkcred/zkcred/verifier/protocol]; this package is the
// service. A [protocol.Request] carries the service's [protocol.Policy]
// (trusted issuer DIDs, schema, predicates on attribute names, disclosed
// attributes, optional nullifier scope, maximum revocation root age), a
// fresh 128-bit nonce, the audience, the verifier's calendar date and a
// validity window. Its canonical hash is the proof's RequestHash public
// input, so a proof answers one request only. Wallets and the verifier
// compile it with the same [protocol.Request.Compile].
//
// The holder answers with a [protocol.Submission] (format
// zkcred-submission-v1): the DID URL of the issuer key that signed its
// credential and the zkp presentation. [Verifier.Verify] decodes it
// strictly (json v2 semantics, see "Strict JSON" below), refuses a
// presentation whose backend or key fingerprint is not the verifier's key
// before any byte of its proof is decoded ([protocol.ParseSubmission]),
// checks the request is known, unexpired and unanswered, checks that the issuer is trusted by the request, that the
// key is one [Config.IssuerKeys] pins for it (if it pins any) and that it
// is a valid BN254 ZK key in the issuer DID document's assertionMethod,
// fetches the issuer's signed revocation root from a [RootSource] and
// checks its signature, freshness and sequence (not below the floor the
// [Store] keeps, see "Revocation rollback"), computes the statement itself
// and calls zkp.Verify. Only then does it record the answer: the nonce is
// marked used, for a scoped request the nullifier recorded, and the
// issuer's revocation floor raised, in one atomic store operation. Replay
// protection is keyed on the nonce and the nullifier, never on proof bytes
// (Groth16 proofs can be re-randomized).
//
// # OpenID4VP
//
// With Config.ClientDID, SigningKey and BaseURL set, the verifier also
// speaks OpenID for Verifiable Presentations 1.0 with a DCQL query
// (profile: verifier/protocol/openid4vp/PROFILE.md):
// [Verifier.NewAuthorizationRequest] returns the openid4vp:// link (and QR
// code content) of a signed Request Object that the Handler serves at its
// request_uri, and [Verifier.VerifyResponse] (the Handler's response_uri)
// checks the response. Each proof binds the OpenID4VP handover hash
// (client_id, nonce, response_uri, DCQL query, transaction data, the
// zkcred request) as its request hash, and carries the issuer's signed
// revocation root, so this path never calls Config.Roots: the agency is
// not contacted per presentation. A check that could not be made now gives
// [ErrUnavailable] (HTTP 503, temporarily_unavailable), distinct from a
// rejection.
//
// In a cross-device flow the response reaches the verifier, not the page
// that showed the QR code. That page learns the outcome from
// [Verifier.AuthorizationResult] (pending, accepted or expired, from the
// Store, so any instance can answer) and, with the verified result or the
// refusal of each response, from Config.OnResponse.
//
// # Revocation rollback
//
// Each signed revocation root carries a sequence number. The highest
// sequence accepted per issuer (the floor) is kept in the [Store], not in
// process memory: [Store.Answer] raises it in the transaction that consumes
// the nonce (a refused presentation never raises it, an accepted one cannot
// lose it), never lowers it, and refuses an answer whose root is below the
// floor committed meanwhile. A root older than the floor is refused with
// [ErrStaleRoot] even while it is younger than the request's maxRootAge, by
// a restarted instance and by every instance sharing the store, so a
// revocation cannot be undone by replaying the root that preceded it. A
// verifier with a fresh store has no floor: only maxRootAge bounds how old
// a root it accepts.
//
// # Witnessed revocation logs
//
// A signed root has no witness: an issuer could sign a different root for
// each holder and tell holders apart by the root a verifier receives (a
// split view). With [Config.Log] (a [LogPolicy]) the verifier takes roots
// from the issuers' public revocation logs instead
// (github.com/zkcred/zkcred/credential/status/tlog): the holder carries a
// checkpoint (OpenID4VP vp_token value v2), accepted only with the log
// key from the issuer's DID document, a quorum of the configured witnesses'
// cosignatures (else [ErrUnwitnessed]), freshness from the cosignatures,
// the rollback floor, and consistency with the latest checkpoint the
// [CheckpointStore] holds for the issuer, shared by every instance (a
// contradiction is [ErrSplitView], logged with both notes). Consistency
// is checked only after the presentation's proof verified: a newer or
// older checkpoint is proven consistent from the issuer's tiles, fetched
// by the verifier through one bounded tile cache, once per pair of
// checkpoints (verdicts are cached, concurrent checks share one fetch),
// never per holder. Where the issuer's DID document names a keys log
// ([LogPolicy.KeysLog]), the checkpoint's signing key and the
// presentation's ZK key must be in its latest witnessed version
// ([ErrUnloggedKey]), so a key shown only to some holders or verifiers is
// caught. Signed roots are taken only where [Config.Roots] is set.
//
// # Issuer keys and linkability
//
// A submission names the issuer key in clear. An issuer that lists many
// ZK keys in its DID document and signs each holder (or a small group)
// with its own key lets a verifier colluding with it tell holders apart,
// whatever the proof hides. [Config.IssuerKeys] pins, per issuer DID, the
// key ids a verifier accepts; any other key of that issuer is refused with
// [ErrUntrustedIssuer] and [ErrUnpinnedKey]. The default is no pinning:
// any valid ZK key in the issuer's assertionMethod is accepted, and the
// anonymity set of a holder is only the holders of the same key. Pin one
// key per issuer (rotating the pin with the issuer's key) where
// unlinkability matters.
//
// # Strict JSON
//
// Requests, policies, submissions and the presentation envelope are
// decoded by [strictjson.Unmarshal], the strict JSON of every zkcred format
// (json v2 semantics, github.com/go-json-experiment/json):
// duplicate member names, also when they differ only by escaping
// ("\u0069ssuer"), and case variants ("Issuer") are refused, as are
// unknown members, invalid UTF-8, lone surrogate escapes and trailing
// data; integers are read exactly (no float64 rounding: 2^53+1 stays
// 2^53+1 or is refused). So no other JSON decoder reads a different issuer
// or presentation from bytes this package accepted.
//
// # Stores
//
// A [Store] keeps issued requests, recorded nullifiers and revocation
// floors. [OpenBolt] is the embedded default (bbolt, one process, every
// write fsynced before it returns); [OpenPostgres] shares state between
// verifier instances, where UNIQUE constraints on the nonce and on (scope,
// nullifier) make "one vote per person" hold across all of them, and a
// row-locking upsert keeps each issuer's floor at the highest accepted
// sequence. Both layouts are versioned (version 2 added the floors; a
// version 1 store is upgraded when opened) and described in store_bolt.go
// and store_postgres.go.
//
// # HTTP
//
// [Verifier.Handler] serves POST /requests, GET /requests/{id} and
// POST /requests/{id}/presentations, with JSON errors {"code","message"}
// whose codes are stable ([ErrorCode]), also for other paths (404
// not_found), other methods (405 method_not_allowed, with Allow) and
// bodies over [MaxHTTPBody] (413 too_large); serve it with [NewServer]'s
// timeouts. Presentations are never logged. Two answers come from net/http
// before any handler runs and stay plain text: 431 for a header block over
// [NewServer]'s 16 KiB limit, and 400 for a request line or header that
// does not parse.
//
// # Errors
//
// Errors of [Verifier.Verify], [Verifier.VerifyID], [Verifier.NewRequest],
// [Verifier.Request] and the stores wrap one of the package's sentinels
// ([ErrReplay], [ErrUntrustedIssuer], [ErrStaleRoot],
// [ErrDuplicateNullifier], [ErrInvalidProof], [ErrExpiredRequest],
// [ErrUnknownRequest], ...; [ErrUnpinnedKey] comes with
// [ErrUntrustedIssuer]) or one of the protocol's:
// [protocol.ErrInvalidRequest] for a bad policy or request,
// [protocol.ErrMalformedPresentation] for a submission that does not
// decode; plus, where useful, the error of the package that found the
// problem (zkp.ErrKeyMismatch for a presentation made for another key).
// [New] returns plain configuration errors. Bad input never panics.
//
// # Operations
//
// [Config.Logger] (a *slog.Logger; nil discards) gets one line per
// outcome from [Verifier.Handler]: each refusal once at info with its
// request id (the X-Request-Id header when well formed, else a random
// one) and [ErrorCode] code, a refusal because an issuer's service did
// not answer at warn, server-side failures (the store, internal) at
// error; never an attribute value, a secret or a proof. [Config.Metrics]
// (a prometheus.Registerer; nil, none) registers
// zkcred_verifier_requests_total{endpoint,outcome,code},
// zkcred_verifier_verification_duration_seconds{outcome} and
// zkcred_verifier_store_errors_total. [Verifier.Ready] is a readiness
// probe: it reads the store. examples/verifier serves them as /metrics
// and /readyz:
//
//	reg := prometheus.NewRegistry()
//	v, err := verifier.New(verifier.Config{ /* ... */ Logger: slog.Default(), Metrics: reg})
//	mux.Handle("/", v.Handler())
//	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
//	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
//		if v.Ready(r.Context()) != nil {
//			w.WriteHeader(http.StatusServiceUnavailable)
//		}
//	})
package verifier
