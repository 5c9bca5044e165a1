/**
 * Chinese stop words for hotline messages: function words, pronouns, courtesy formulas and filler that
 * every message shares (尊敬的领导, 您好, 谢谢). Kept as a `.ts` module (not a data file) because the build
 * copies only what tsc compiles. Admins extend it at run time through `Segmenter.addStopWords`.
 */
export const STOP_WORDS_ZH: readonly string[] = `
的 了 和 是 在 就 都 而 及 与 着 或 一个 没有 我们 你们 他们 她们 它们 我 你 他 她 它 您 咱们
这 那 这个 那个 这些 那些 这样 那样 这里 那里 这种 那种 此 其 其他 其它 本 该 各 每 某 某些
之 以 于 为 为了 对 对于 把 被 让 给 向 从 到 由 自 自从 将 按 按照 根据 通过 关于 至于 以及
也 还 又 再 才 只 仅 仅仅 就是 而且 并且 并 但 但是 可是 然而 不过 因为 所以 因此 如果 假如 虽然 即使
即 则 却 便 并不 而是 或者 还是 然后 于是 那么 那么些 以后 之后 以前 之前 以来 时候 时
啊 吗 呢 吧 呀 哦 嘛 啦 哈 嗯 么 矣 兮 乎 哉
个 位 些 点 种 次 件 条 名 样 下 上 中 里 内 外 后 前 间
很 太 更 最 非常 十分 比较 特别 已经 已 曾经 正在 正 将要 能 能够 可以 可能 应该 应当 需要 要 会 想
有 无 没 不 不是 没 所 所有 一些 一下 一直 一起 一定 一样 一般 一切 一 二 三
怎么 怎样 怎么样 什么 为什么 如何 哪 哪里 哪些 多少 几 谁 是否 是不是 有没有 能否
尊敬 领导 您好 你好 谢谢 感谢 希望 请 恳请 敬请 麻烦 请问 问题 情况 相关 有关 现在 目前 今年 去年
等 等等 如下 以下 以上 上述 其中 另外 此外 同时 然后 并且 及其 之一 而已 罢了 等于
`
  .split(/\s+/)
  .filter((w) => w.length > 0);
