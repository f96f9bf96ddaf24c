package sigv4

import (
	"encoding/base64"
	"hash/crc32"
	"strconv"
)

func itoa(n int) string { return strconv.Itoa(n) }

func crc32cBase64(b []byte) string {
	s := crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli))
	return base64.StdEncoding.EncodeToString([]byte{byte(s >> 24), byte(s >> 16), byte(s >> 8), byte(s)})
}
