// Package dcql implements the Digital Credentials Query Language (DCQL,
// OpenID for Verifiable Presentations 1.0 §6) with zkcred's profile,
// zkcred-dcql-predicates-v1, described in PROFILE.md beside this file.
//
// For most uses: a verifier builds a [Query], sends its JSON ([Query.JSON])
// in an OpenID4VP request, and checks the response with what
// [Query.Compile] returns; a wallet reads the query with [Parse] and
// answers the zkcred policies of [Query.Compile].
//
// # Standard DCQL and zkcred's extension
//
// Everything structural is DCQL as specified: credential queries with id,
// format, multiple, meta, trusted_authorities,
// require_cryptographic_holder_binding, claims and claim_sets; claims
// queries with id, path and values; credential_sets with options and
// required. zkcred adds:
//
//   - the format identifier [FormatZKP] ("zkcred_zkp"): a zero-knowledge
//     presentation of a credential issued in format [FormatCredential]
//     ("zkcred_vc+jwt", OpenID4VCI). A separate identifier because the
//     presentation is not the credential: it discloses only what the
//     query asks and proves the rest;
//   - the members of meta for that format (zkcred_profile = [ProfileVersion],
//     zkcred_schema, zkcred_max_root_age, zkcred_nullifier_scope), which
//     DCQL leaves to the format to define;
//   - the trusted_authorities type [TrustedAuthorityDID] ("zkcred_did"),
//     whose values are issuer DIDs;
//   - the claims query member zkcred_predicate: a condition proven about
//     the claim, which stays undisclosed (ne, lt, le, gt, ge, between,
//     notIn, ageAtLeast, ageUnder). DCQL values mean eq (one value) or in
//     (several), proven too, not disclosed; a claims query with neither
//     asks for the claim's disclosure.
//
// A DCQL implementation that does not know the profile sees a valid query
// whose credential queries have a format it does not support, so it
// matches no credential with them; it never reads zkcred_predicate as a
// plain request to disclose the claim, because only a zkcred wallet holds
// credentials of this format.
//
// # Same holder
//
// When a response may carry two or more presentations (credential_sets
// combining queries, or multiple), each proof outputs its nullifier for a
// scope derived from the request's nonce, [HolderScope]: one holder's
// proofs give equal nullifiers, two holders' differ, and a new nonce gives
// new values, so nothing links across requests. [Compiled.CheckSameHolder]
// compares them. The circuit is unchanged: this is its nullifier output
// with a request-scoped scope.
package dcql
