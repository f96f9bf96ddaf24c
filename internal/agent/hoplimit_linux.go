package agent

import (
	"net"
	"syscall"
)

// setHopLimit sets the IP TTL (IPv4) or unicast hop limit (IPv6) of the
// packets c sends, as EC2's metadata service does with its hop limit: a
// response with TTL 1 does not cross a router (or a container bridge).
func setHopLimit(c net.Conn, hops int) error {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return nil
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return err
	}
	v6 := false
	if a, ok := tc.LocalAddr().(*net.TCPAddr); ok && a.IP.To4() == nil {
		v6 = true
	}
	var serr error
	err = raw.Control(func(fd uintptr) {
		if v6 {
			serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IPV6, syscall.IPV6_UNICAST_HOPS, hops)
			return
		}
		serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, syscall.IP_TTL, hops)
	})
	if err != nil {
		return err
	}
	return serr
}
