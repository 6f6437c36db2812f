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
//	req, _ := v.NewRequest(ctx, verifier.Policy{...})   // send req to the wallet
//	res, err := v.Verify(ctx, req, submission)           // the wallet's answer
//	if errors.Is(err, verifier.ErrDuplicateNullifier) { /* voted already */ }
//
// # Flow
//
// A [Request] (format zkcred-request-v1, see request.md) carries the
// service's [Policy] (trusted issuer DIDs, schema, predicates on attribute
// names, disclosed attributes, optional nullifier scope, maximum revocation
// root age), a fresh 128-bit nonce, the audience, the verifier's calendar
// date and a validity window. Its canonical hash ([Request.Hash]) is the
// proof's RequestHash public input, so a proof answers one request only.
// [Request.Compile] turns a request into the zkp statement's predicates
// (age cutoffs by calendar rules, see [AgeCutoff]; set trees for in/notIn):
// wallets and the verifier call the same code.
//
// The holder answers with a [Submission] (format zkcred-submission-v1): the
// DID URL of the issuer key that signed its credential and the zkp
// presentation. [Verifier.Verify] decodes it strictly, checks the request is
// known, unexpired and unanswered, checks that the issuer is trusted by the
// request and that the key is a valid BN254 ZK key in the issuer DID
// document's assertionMethod, fetches the issuer's signed revocation root
// from a [RootSource] and checks its signature, freshness and sequence,
// computes the statement itself and calls zkp.Verify. Only then does it
// record the answer: the nonce is marked used and, for a scoped request,
// the nullifier recorded, in one atomic store operation. Replay protection
// is keyed on the nonce and the nullifier, never on proof bytes (Groth16
// proofs can be re-randomized).
//
// # Stores
//
// A [Store] keeps issued requests and recorded nullifiers. [OpenBolt] is
// the embedded default (bbolt, one process, every write fsynced before it
// returns); [OpenPostgres] shares state between verifier instances, where
// UNIQUE constraints on the nonce and on (scope, nullifier) make "one vote
// per person" hold across all of them. Both layouts are versioned and
// described in store_bolt.go and store_postgres.go.
//
// # HTTP
//
// [Verifier.Handler] serves POST /requests, GET /requests/{id} and
// POST /requests/{id}/presentations, with JSON errors {"code","message"}
// whose codes are stable ([ErrorCode]); serve it with [NewServer]'s
// timeouts. Presentations are never logged.
//
// # Errors
//
// Every error wraps one of the package's sentinels ([ErrReplay],
// [ErrUntrustedIssuer], [ErrStaleRoot], [ErrDuplicateNullifier],
// [ErrInvalidProof], [ErrExpiredRequest], [ErrUnknownRequest], ...), plus,
// where useful, the error of the package that found the problem.
package verifier
