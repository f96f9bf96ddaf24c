package x509

import (
	stdx509 "crypto/x509"
	"encoding/base64"
	"strings"
)

// Bounds on what a client may send.
const (
	// MaxLeafSize bounds the leaf certificate, DER-decoded.
	MaxLeafSize = 16 << 10
	// MaxChainCerts bounds the certificates of X-Amz-X509-Chain.
	MaxChainCerts = 5
	// MaxChainSize bounds X-Amz-X509-Chain's certificates together,
	// DER-decoded.
	MaxChainSize = 32 << 10
)

var strictB64 = base64.StdEncoding.Strict()

// ParseHeaders decodes X-Amz-X509 (the leaf, base64 DER) and
// X-Amz-X509-Chain (intermediates, comma-separated base64 DER; "" for
// none), refusing anything over the bounds (TooLarge) before decoding it,
// and anything that is not strict, padded base64 or a certificate
// (Malformed).
func ParseHeaders(leafB64, chainCSV string) (*stdx509.Certificate, []*stdx509.Certificate, error) {
	if leafB64 == "" {
		return nil, nil, errorf(Malformed, "X-Amz-X509 is empty")
	}
	if len(leafB64) > base64.StdEncoding.EncodedLen(MaxLeafSize) {
		return nil, nil, errorf(TooLarge, "X-Amz-X509 is over %d bytes", MaxLeafSize)
	}
	leaf, err := parseB64(leafB64, "X-Amz-X509")
	if err != nil {
		return nil, nil, err
	}
	if chainCSV == "" {
		return leaf, nil, nil
	}
	if n := strings.Count(chainCSV, ",") + 1; n > MaxChainCerts {
		return nil, nil, errorf(TooLarge, "X-Amz-X509-Chain has %d certificates, more than %d", n, MaxChainCerts)
	}
	if len(chainCSV) > base64.StdEncoding.EncodedLen(MaxChainSize)+MaxChainCerts {
		return nil, nil, errorf(TooLarge, "X-Amz-X509-Chain is over %d bytes", MaxChainSize)
	}
	chain := make([]*stdx509.Certificate, 0, strings.Count(chainCSV, ",")+1)
	total := 0
	for part := range strings.SplitSeq(chainCSV, ",") {
		c, err := parseB64(part, "X-Amz-X509-Chain")
		if err != nil {
			return nil, nil, err
		}
		if total += len(c.Raw); total > MaxChainSize {
			return nil, nil, errorf(TooLarge, "X-Amz-X509-Chain is over %d bytes", MaxChainSize)
		}
		chain = append(chain, c)
	}
	return leaf, chain, nil
}

func parseB64(s, header string) (*stdx509.Certificate, error) {
	if s == "" {
		return nil, errorf(Malformed, "%s has an empty certificate", header)
	}
	der, err := strictB64.DecodeString(s)
	if err != nil || strings.ContainsAny(s, "\r\n") { // the decoder skips line breaks
		return nil, errorf(Malformed, "%s is not base64", header)
	}
	c, err := stdx509.ParseCertificate(der)
	if err != nil {
		return nil, errorf(Malformed, "%s is not a certificate: %v", header, err)
	}
	return c, nil
}
