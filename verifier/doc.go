// Package verifier turns presentation requests and presentations into one
// trusted answer: it ties DID resolution, revocation state, replay protection
// and zero-knowledge proof verification together.
package verifier
