// Package did implements W3C Decentralized Identifiers (DID Core 1.0):
// DID and DID URL syntax, DID documents, verification methods and the
// did:key, did:jwk and did:web methods, behind a [Resolver] interface.
package did
