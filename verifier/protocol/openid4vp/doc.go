// Package openid4vp implements zkcred's profile of OpenID for Verifiable
// Presentations 1.0 (final): the Authorization Request by reference (a
// signed Request Object, RFC 9101 JAR) for the Client Identifier Prefix
// decentralized_identifier:, the unsigned development prefix redirect_uri:,
// the transaction data types zkcred_ballot and zkcred_consent, the handover
// binding a proof commits to ([HandoverHash], format
// zkcred-openid4vp-handover-v1) and response encryption for
// direct_post.jwt. PROFILE.md says what is standard and what is zkcred's.
//
// The DCQL query is a dcql.Query (package verifier/protocol/dcql), parsed
// strictly inside the otherwise open Request Object.
//
// A verifier signs a Request Object and publishes it at a request_uri:
//
//	jwt, err := openid4vp.SignRequestObject(ro, key, clientDID+"#key-1", false)
//	link, err := openid4vp.AuthorizationRequestURI(ro.ClientID, requestURI) // link and QR code
//
// A wallet reads the link, fetches and verifies the Request Object:
//
//	ar, err := openid4vp.ParseAuthorizationRequest(link, false)
//	jwt, err := openid4vp.FetchRequestObject(ctx, fetchClient, ar)
//	ro, err := openid4vp.VerifyRequestObject(ctx, ar, jwt, resolver, nil)
//	h, err := openid4vp.HandoverHash(openid4vp.NewHandover(ro, "pid", zkcredRequest))
//
// where zkcredRequest is the protocol.Request built for the presentation
// answering credential query "pid" (its policy from dcql.Query.Compile, its
// id the nonce, its audience the client_id): h is the request hash the
// proof binds.
//
// and answers with [EncryptResponse] (direct_post.jwt), which the verifier
// reads with [DecryptResponse].
//
// [Answer] runs all of the wallet's side (fetch, verify, choose held
// credentials by the DCQL query, consent, prove, post); each vp_token value
// is a [Presentation] carrying the issuer's signed revocation root. The
// verifier's side is verifier.Verifier.NewAuthorizationRequest, its
// Handler and VerifyResponse.
//
// # Strict parsing
//
// Compact JWS and JWE are checked segment by segment (exact count,
// canonical unpadded base64url) before go-jose sees them; headers and
// payloads are decoded by did/strictjson. Unknown Request Object parameters
// are ignored as OpenID4VP requires, but case variants and duplicates of
// known ones are refused.
//
// # Errors
//
// Every error wraps one of the package's sentinels ([ErrInvalidRequest],
// [ErrInvalidRequestObject], [ErrUnsignedRequest], [ErrClientMismatch],
// [ErrClientKey], [ErrExpired], [ErrInvalidTransactionData],
// [ErrInvalidRequestURIMethod], [ErrInvalidResponse], [ErrFetch]);
// [ErrorCode] maps an error to the OpenID4VP error code. Bad input never
// panics.
package openid4vp
