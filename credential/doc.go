// Package credential implements W3C Verifiable Credentials Data Model 2.0
// credentials secured two ways: as VC-JOSE JWTs (application/vc+jwt, W3C
// "Securing Verifiable Credentials using JOSE and COSE") and by a
// zero-knowledge-friendly EdDSA signature on the BN254 twisted-Edwards
// curve over a Poseidon2 hash of the typed, encoded attributes.
//
// For most uses: an issuer calls [Issuer.Issue] with a [Schema] (such as
// [PersonSchema]), attribute values and the holder's commitment
// ([HolderSecret.Commitment]) and hands the holder the [Stored] credential
// (JSON format in FORMAT.md); anyone verifies the JWT with [VerifyJWT]
// and a [did.Resolver]; the zkp package proves statements about
// [Stored.Slots] under [Stored.Signature]. Every hash of the ZK side
// (message, holder commitment, nullifier, schema id, string attributes) is
// the hash suite zkcred-poseidon2-v1 of package
// [github.com/zkcred/zkcred/credential/zkhash].
//
// # Security
//
// [VerifyJWT] accepts only the JWS compact serialization, EdDSA and ES256
// (ES384/ES512 on request, never none, HMAC or RSA), keys named by an
// absolute DID URL kid that resolves into the issuer's assertionMethod,
// and no embedded or remote keys. Attribute encoding never reduces a value
// modulo the field. [ZKPrivateKey] and [HolderSecret] never print their
// value.
package credential
