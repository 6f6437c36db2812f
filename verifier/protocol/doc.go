// Package protocol implements the zkcred presentation protocol that a
// wallet and a verifier both speak: the request format zkcred-request-v1
// (request.md), its compilation into a zkp statement (PREDICATES.md,
// "Predicates, end to end"), the age cutoff, the submission format
// zkcred-submission-v1 and the wallet's answer. It holds no verifier state
// and imports no store and no HTTP server, so a wallet can import it alone.
//
// A wallet reads a request with [ParseRequest] and answers it with
// [Holding.Answer], which compiles the request, builds the witnesses and
// proves:
//
//	req, err := protocol.ParseRequest(body) // GET /requests/{id}
//	h := &protocol.Holding{Credential: cred, Secret: secret, IssuerKey: zk, Revocation: tree}
//	sub, err := h.Answer(keys, req, origin) // POST /requests/{id}/presentations
//	if errors.Is(err, zkp.ErrUnsatisfied) { /* the credential does not qualify */ }
//
// The verifier (package verifier) creates the requests, decodes the
// answer with [ParseSubmission] and checks the proof against the statement
// it compiles itself from the same request ([Request.Compile],
// [Compiled.Statement]): both sides run the same code.
//
// # Strict JSON
//
// Requests, policies, submissions and the presentation envelope are
// decoded by [strictjson.Unmarshal], the strict JSON of every zkcred format
// (json v2 semantics, github.com/go-json-experiment/json):
// duplicate member names, also when they differ only by escaping
// ("\u0069ssuer"), and case variants ("Issuer") are refused, as are
// unknown members, invalid UTF-8, lone surrogate escapes and trailing
// data; integers are read exactly (no float64 rounding). A request must
// also be in canonical form, so every reader sees the same request and
// computes the same hash.
//
// # Errors
//
// Errors wrap [ErrInvalidRequest] (requests, policies, compilation, age
// cutoffs), [ErrMalformedPresentation] (submissions, with zkp.ErrKeyMismatch
// for another key or backend) or, from [Holding.Answer], [ErrCannotAnswer],
// zkp.ErrUnsatisfied (naming the failing predicate) or the error of the
// package that refused an input. Bad input never panics.
package protocol
