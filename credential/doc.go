// Package credential implements W3C Verifiable Credentials Data Model 2.0
// credentials secured two ways: as VC-JOSE JWTs (application/vc+jwt) and by a
// zero-knowledge-friendly EdDSA signature on the BN254 twisted-Edwards curve
// over a Poseidon2 hash of the typed, encoded attributes.
package credential
