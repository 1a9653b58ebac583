import { fail } from '@qtool/ir';

// docs/protocol.md, "Version negotiation": the host says the highest version it speaks, the device answers with
// min(host, device); the host refuses a version below the lowest it supports.

export const PROTOCOL_VERSION = 1;
export const MIN_PROTOCOL_VERSION = 1;

/** The device's side: the version both will use. */
export function chooseVersion(hostHighest: number, deviceHighest = PROTOCOL_VERSION): number {
  return Math.min(hostHighest, deviceHighest);
}

/** The host's side: accepts the device's choice or throws QT604 with what each side speaks. */
export function acceptVersion(chosen: number, lowest = MIN_PROTOCOL_VERSION, highest = PROTOCOL_VERSION): number {
  if (chosen < lowest)
    fail('QT604', `the device speaks protocol version ${chosen}; this qtool speaks ${lowest}..${highest}: update the board's firmware`);
  if (chosen > highest) fail('QT604', `the device chose protocol version ${chosen}, above the ${highest} this qtool offered`);
  return chosen;
}
