package revocation

import "time"

// SetAdvanceEvery sets how often the writer stores a position without
// records; call it before Start.
func (ix *Indexer) SetAdvanceEvery(d time.Duration) { ix.advanceEvery = d }
