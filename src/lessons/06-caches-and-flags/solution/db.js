// The lab has no real database, so this module plays one. Products are stored in Redis under `db:product:<id>`
// (the catalogue below is the starting data). Like a slow database, a read takes half a second and a write a
// whole second, and a write is seen by reads only once it has finished.
// It is the source of truth that every instance shares: use it, but leave it as it is.
import { Redis } from 'ioredis';

const redis = new Redis(process.env.REDIS_URL);
const READ_MS = 500;
const WRITE_MS = 1000;
const CATALOGUE = {
  1: { id: 1, name: 'Teapot', price: 24 },
  2: { id: 2, name: 'Mug', price: 9 },
  3: { id: 3, name: 'Kettle', price: 39 },
};

const slowly = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The product with this id, or null. Takes about 500 ms. */
export async function findProduct(id) {
  await slowly(READ_MS);
  const saved = await redis.get(`db:product:${id}`);
  if (saved) return JSON.parse(saved);
  return Object.hasOwn(CATALOGUE, id) ? CATALOGUE[id] : null;
}

/** Store a product (a whole object with id, name and price). Takes about 1000 ms. */
export async function saveProduct(product) {
  await slowly(WRITE_MS);
  await redis.set(`db:product:${product.id}`, JSON.stringify(product));
}
