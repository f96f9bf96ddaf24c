//go:build !linux

package agent

import "net"

// setHopLimit is Linux-only; elsewhere responses keep the OS's TTL.
func setHopLimit(net.Conn, int) error { return nil }
