// Package openid4vci implements OpenID for Verifiable Credential Issuance
// 1.0 (final, September 2025) for zkcred credentials, under the profile
// zkcred-openid4vci-v1 (PROFILE.md in this folder: the credential format
// [Format] and the key proof profile [ProofProfile] that carries the holder
// commitment): what the issuer and the wallet both speak, and the wallet
// client. It imports no store and builds for js/wasm (the browser wallet);
// the issuer (its handler, bbolt state, registers and back office) is
// package credential/openid4vci/issuer.
//
// For most uses, the citizen's wallet ([NewWallet]) runs
//
//	offer, _ := w.Offer(ctx, uri)           // ParseOffer, fetched if by reference
//	s, _ := w.Start(ctx, offer)             // issuer + authorization server metadata
//	_ = w.Redeem(ctx, s, pin)               // token endpoint
//	st, _ := w.RequestCredential(ctx, s, secret) // nonce, key proof, credential, verify
//
// and stores st, a verified [credential.Stored] bound to its
// [credential.HolderSecret], which never leaves the wallet: the issuer
// sees only its commitment.
//
// # API
//
// Wallet: [NewWallet]([WalletConfig]) → [*Wallet]; [ParseOffer];
// [Wallet.Offer]; [Wallet.Start] → [*Session]; [Wallet.Redeem];
// [Wallet.Nonce]; [Wallet.RequestCredential];
// [Wallet.RequestCredentialWithProof].
// Key proofs: [NewProof], [VerifyProof] → [*VerifiedProof].
// Wire types: [CredentialOffer], [Grants], [PreAuthorizedCodeGrant],
// [TxCode], [IssuerMetadata], [CredentialConfiguration], [ProofType],
// [CredentialDefinition], [CredentialMetadata], [ClaimDescription],
// [Display], [AuthorizationServerMetadata], [TokenResponse],
// [NonceResponse], [CredentialRequest], [Proofs].
// Errors: the sentinels in errors.go, shared by both sides, and
// [*ServerError].
// Routes (relative to the Credential Issuer Identifier): [PathIssuerMetadata],
// [PathASMetadata], [PathOffers]{id}, [PathToken], [PathNonce],
// [PathCredential].
//
// # JSON
//
// Every message is decoded with did/strictjson: duplicate members (also
// after unescaping), invalid UTF-8 and trailing data are refused
// everywhere. Messages whose member set the profile closes (the key
// proof's header and payload) refuse unknown members; offers, metadata
// and responses are extensible (strictjson.UnmarshalOpen), and an offer
// also refuses a case variant of a known member name.
//
// The specification sections implemented, and those left out, are listed
// in package credential/openid4vci/issuer's documentation and PROFILE.md.
package openid4vci
