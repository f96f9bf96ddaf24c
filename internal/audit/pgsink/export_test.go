package pgsink

// SetShipChunk sets how many spooled entries one shipping transaction
// takes, until the returned function restores it.
func SetShipChunk(n int) (restore func()) {
	old := shipChunk
	shipChunk = n
	return func() { shipChunk = old }
}

// SetShipHook sets the hook run after each committed shipping
// transaction, until the returned function restores it.
func SetShipHook(f func() error) (restore func()) {
	old := testHookShipped
	testHookShipped = f
	return func() { testHookShipped = old }
}

// BreakSpool closes the spool's file under the sink, so that writing it
// fails, as on a failing disk.
func (s *Sink) BreakSpool() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.spool.f.Close()
}
