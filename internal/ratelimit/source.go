package ratelimit

import "net/netip"

// SourceKey is the key a source address is budgeted under: an IPv4
// address (also when written IPv4-mapped), or the /64 prefix of an IPv6
// address, without its zone. One host is usually given a whole /64
// (RFC 6177, SLAAC) and can pick any address in it, so counting IPv6
// addresses one by one would give it an unbounded number of budgets.
// What is not an IP address is its own key.
func SourceKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64) // strips the zone
		return p.String()
	}
	return a.String()
}
