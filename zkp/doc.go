// Package zkp holds zkcred's gnark circuits: one generic presentation circuit
// per [Shape], key setup for Groth16 and PLONK on BN254, proving, verifying
// and the presentation wire format (FORMAT.md, version 1).
//
// A holder proves, for a credential it holds, without revealing its
// attributes, signature or id: the issuer (public key a public input)
// signed the attribute slots under the schema (EdDSA on BN254's
// twisted-Edwards curve over credential.MessageHash); it knows the holder
// secret the credential commits to; each public predicate holds (=, ≠, <,
// ≤, >, ≥, between, in set, not in set); the credential is not expired at
// the verifier's date and its id is not in the issuer's revocation tree;
// optionally some slots are disclosed and a per-scope nullifier is output;
// and the proof is bound to the request hash.
//
// The common path:
//
//	keys, _ := zkp.UnsafeSetup(zkp.DefaultShape, zkp.Groth16) // dev only
//	pres, err := zkp.Prove(keys, &statement, &witness)        // ErrUnsatisfied names what fails
//	b, _ := pres.Encode()
//	p, err := zkp.DecodePresentation(b)
//	err = zkp.Verify(keys.VerifyingKey, &statement, p)        // statement built by the verifier
//
// # Soundness notes
//
// Every comparison is on 64-bit values: operands are range-checked to 64
// bits, and so are v−lo and hi−v, which makes the slot value itself 64-bit
// with no wrap-around. A no-op predicate (op 0) must have slot and operands
// zero; since the verifier computes the public inputs, a prover cannot turn
// a requested predicate into a no-op. Every public input enters a
// constraint; TestGroth16PublicInputsBound changes each one on a valid proof.
// Issuer keys must be in the prime-order subgroup ([NewIssuerKey]); Verify
// refuses others. Setup named Unsafe is for development only: use
// [Ceremony] (Groth16) or [SetupPLONK] with a ceremony SRS in production.
//
// # Costs
//
// Reference shape (8 slots, 2 predicates, revocation depth 32): 13,969
// R1CS constraints (Groth16, 2^14 domain), 26,992 PLONK gates (2^15).
// Default shape: 25,917 R1CS constraints. The EdDSA verification (about
// 4,900 constraints with fixed-base windows for [S]B, see eddsa.go; gnark's
// std eddsa.Verify costs 6,650) and the revocation path (186 per level)
// dominate. TestConstraintCounts guards the domain budgets.
package zkp
