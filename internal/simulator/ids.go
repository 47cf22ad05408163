// SPDX-License-Identifier: Apache-2.0

package simulator

import "sync/atomic"

// base62 in ASCII order, so fixed-width encodings sort like the numbers they encode.
const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// idGen issues ids shaped like the hosted API's (prefix + "011" + 21 base62
// characters). One counter serves every prefix, so ids are unique and, within
// a prefix, sort lexically in creation order: listing by id is listing by age.
// The counter is the process's, shared by every Server: like the hosted API's,
// an id never names two objects, even across simulators (a test that talks to a
// second simulator cannot mistake one's objects for the other's).
type idGen struct{}

var processIDs atomic.Uint64

func (g *idGen) next(prefix string) string {
	n := processIDs.Add(1)
	var b [24]byte
	copy(b[:3], "011")
	// 10 characters of counter (62^10 ≈ 8e17) carry the order...
	v := n
	for i := 12; i >= 3; i-- {
		b[i] = base62[v%62]
		v /= 62
	}
	// ...and 11 characters of a mixed counter make ids look less sequential.
	h := n * 0x9E3779B97F4A7C15
	for i := 13; i < 24; i++ {
		h ^= h >> 29
		h *= 0xBF58476D1CE4E5B9
		b[i] = base62[h%62]
	}
	return prefix + string(b[:])
}
