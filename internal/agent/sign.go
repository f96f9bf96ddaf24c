package agent

import (
	"crypto"
	"crypto/x509"
	"time"

	"github.com/brevet-dev/brevet/internal/sigv4"
)

// signHost signs a Brevet host action with the host key (SigV4-X509,
// scope service "brevet").
func signHost(r *sigv4.Request, key crypto.Signer, cert *x509.Certificate, region string, now time.Time) error {
	return sigv4.SignX509Service(r, key, cert, nil, region, sigv4.ServiceBrevet, now)
}
