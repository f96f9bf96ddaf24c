package agent

import (
	"net"
	"syscall"
	"testing"
)

// TestHopLimit: connections the IMDS listener accepts send with IP TTL 1.
func TestHopLimit(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	hl := hopListener{ln, 1}
	go func() {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err == nil {
			defer c.Close()
			c.Read(make([]byte, 1))
		}
	}()
	c, err := hl.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	raw, _ := c.(*net.TCPConn).SyscallConn()
	var ttl int
	raw.Control(func(fd uintptr) { ttl, err = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_IP, syscall.IP_TTL) })
	if err != nil || ttl != 1 {
		t.Errorf("IP TTL %d (%v), want 1", ttl, err)
	}
}
