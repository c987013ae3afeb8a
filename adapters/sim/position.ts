/**
 * Signed net position of the account in one market (netting, like Lighter).
 *
 * Invariants:
 * - `size` is in integer size units; > 0 long, < 0 short.
 * - `cost` is the exact entry value (Σ price × size at entry) of the open size; average
 *   entry = cost / |size|. A reducing fill removes cost pro rata (exact to 40 digits); a
 *   fill that goes through zero closes the old side and opens the rest at the fill price.
 *   When the position reaches 0 the cost is reset to exactly 0.
 * - `realized` is NET of fees: each fill's fee is subtracted (a rebate adds). `fees` tracks
 *   the fees alone, so gross realized PnL = realized + fees.
 */
import { D, type Dec } from './units.ts';
import type { Side } from '../types.ts';

export interface PositionJSON {
  size: number;
  cost: string;
  realized: string;
  fees: string;
}

export class PositionBook {
  size = 0;
  cost: Dec = new D(0);
  realized: Dec = new D(0);
  fees: Dec = new D(0);

  /** Applies one account fill. `qty` is the fill size as a Decimal (same amount as `units`). */
  apply(side: Side, units: number, qty: Dec, price: Dec, fee: Dec): void {
    const signed = side === 'buy' ? units : -units;
    this.fees = this.fees.plus(fee);
    this.realized = this.realized.minus(fee);
    if (this.size === 0 || Math.sign(this.size) === Math.sign(signed)) {
      this.size += signed;
      this.cost = this.cost.plus(price.times(qty));
      return;
    }
    const open = Math.abs(this.size);
    const closing = Math.min(units, open);
    // avg entry × closing, computed as cost × closing / open to keep one division
    const closingQty = qty.times(closing).div(units);
    const removed = this.cost.times(closing).div(open);
    const dir = this.size > 0 ? 1 : -1;
    this.realized = this.realized.plus(price.times(closingQty).minus(removed).times(dir));
    if (units < open) {
      this.size += signed;
      this.cost = this.cost.minus(removed);
      return;
    }
    // closed (and maybe flipped)
    const rest = units - open;
    this.size = rest === 0 ? 0 : side === 'buy' ? rest : -rest;
    this.cost = rest === 0 ? new D(0) : price.times(qty.minus(closingQty));
  }

  /** Units the account may trade on `side` without growing or flipping the position. */
  reducible(side: Side): number {
    if (side === 'sell') return this.size > 0 ? this.size : 0;
    return this.size < 0 ? -this.size : 0;
  }

  /** Average entry price; `absSize` is |size| as a Decimal (null when flat). */
  avgEntry(absSize: Dec): Dec | null {
    return this.size === 0 ? null : this.cost.div(absSize);
  }

  toJSON(): PositionJSON {
    return { size: this.size, cost: this.cost.toFixed(), realized: this.realized.toFixed(), fees: this.fees.toFixed() };
  }

  static fromJSON(j: PositionJSON): PositionBook {
    const p = new PositionBook();
    p.size = j.size;
    p.cost = new D(j.cost);
    p.realized = new D(j.realized);
    p.fees = new D(j.fees);
    return p;
  }
}
