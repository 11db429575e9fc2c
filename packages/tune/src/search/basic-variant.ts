import { generateVariants } from '../search-space.js';
import type { SearchAlgorithm, SearchProperties } from './search-algorithm.js';

interface BasicVariantState {
  readonly variants: Record<string, unknown>[];
  readonly next: number;
}

/**
 * Grid and random search (Ray's `BasicVariantGenerator`): the grid repeated `numSamples`
 * times, random values drawn from a seeded generator. All configs are drawn up front so
 * that the saved state is the plain list of configs and resumes exactly.
 */
export class BasicVariantGenerator implements SearchAlgorithm {
  readonly name = 'BasicVariantGenerator';
  private variants: Record<string, unknown>[] = [];
  private next = 0;
  private ready = false;

  setSearchProperties(props: SearchProperties): void {
    if (this.ready) return; // restored: keep the saved list
    this.variants = generateVariants(props.paramSpace, {
      numSamples: props.numSamples,
      ...(props.seed === undefined ? {} : { seed: props.seed }),
    });
    this.ready = true;
  }

  /** How many trials this generator produces in all. */
  get total(): number {
    return this.variants.length;
  }

  suggest(): Record<string, unknown> | null {
    return this.next < this.variants.length ? (this.variants[this.next++] ?? null) : null;
  }

  onTrialComplete(): void {}

  save(): BasicVariantState {
    return { variants: this.variants, next: this.next };
  }

  restore(state: unknown): void {
    const s = state as BasicVariantState;
    if (!s || !Array.isArray(s.variants) || typeof s.next !== 'number') {
      throw new TypeError('BasicVariantGenerator.restore: state must come from save()');
    }
    this.variants = s.variants;
    this.next = s.next;
    this.ready = true;
  }
}
