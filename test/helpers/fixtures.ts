import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** The bytes of a fixture event, as FC would hand them to the handler (a Buffer). */
export function fixtureEvent(name: string): Buffer {
  return readFileSync(`${root}events/${name}`);
}

export function fixturePath(name: string): string {
  return `${root}${name}`;
}
