package masterkey

import "testing"

// BenchmarkOpen opens a sealed 40-character secret access key, as loading a
// long-term key into the in-memory cache does.
func BenchmarkOpen(b *testing.B) {
	kr := testKeyring(b, 1)
	ct, err := kr.Seal([]byte("brevetTESTsecretKEY0123456789abcdefGHIJ+"), "access-key:AKIAQAAAAAAAAAAAAAAA")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(40)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := kr.Open(ct, "access-key:AKIAQAAAAAAAAAAAAAAA"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSeal(b *testing.B) {
	kr := testKeyring(b, 1)
	secret := []byte("brevetTESTsecretKEY0123456789abcdefGHIJ+")
	b.SetBytes(40)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := kr.Seal(secret, "access-key:AKIAQAAAAAAAAAAAAAAA"); err != nil {
			b.Fatal(err)
		}
	}
}
