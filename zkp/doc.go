// Package zkp holds zkcred's gnark circuits: one generic presentation circuit
// per shape, key setup for Groth16 and PLONK on BN254, proving, verifying and
// the presentation wire format.
package zkp
