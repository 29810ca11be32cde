-- Job states, the low two bits of a packed job's state-and-attempts integer
-- (keys.ts: storedState).
local DELAYED, READY, RESERVED = 1, 2, 3
