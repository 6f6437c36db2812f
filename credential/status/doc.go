// Package status implements credential revocation: a privacy-preserving
// revocation registry (an indexed Merkle tree whose non-membership is proven
// in zero knowledge) with signed roots, and the W3C Bitstring Status List v1.0.
package status
