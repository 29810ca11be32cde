-- Job states as stored in the `s` field (keys.ts: storedState).
local DELAYED, READY, RESERVED = "1", "2", "3"
